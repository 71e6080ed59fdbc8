// zoolab-cli inspect: the recall inspector's numbers from a run's per-query records. The GUI's
// inspector views call the same functions (engine/inspect/recall_analysis.h), so the two always agree.

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <optional>
#include <set>

#include "engine/cli/commands.h"
#include "engine/inspect/inspection.h"
#include "engine/inspect/recall_analysis.h"
#include "engine/util/strict_json.h"

namespace zoolab {
namespace {

struct InspectArgs {
  std::string db;
  std::string run;
  std::optional<int64_t> step;
  std::optional<int64_t> example;
  bool json = false;
  std::string subset;
  std::string vs;
  bool history = false;
};

// "8, 16, 24" for a list of numbers, "0-31, 256-287" for runs of consecutive ones when `ranges`.
std::string number_list(const std::vector<int64_t>& values, bool ranges) {
  std::string out;
  for (size_t i = 0; i < values.size(); ++i) {
    size_t j = i;
    if (ranges) {
      while (j + 1 < values.size() && values[j + 1] == values[j] + 1) {
        ++j;
      }
    }
    out += (out.empty() ? "" : ", ") + std::to_string(values[i]);
    if (j > i) {
      out += "-" + std::to_string(values[j]);
      i = j;
    }
  }
  return out;
}

// "8, 16, 24 (tracked); 24 (all)": the steps of each subset.
std::string recorded_steps(const std::vector<QueryRecordSetInfo>& sets) {
  std::string out;
  for (const char* subset : {"tracked", "all"}) {
    std::vector<int64_t> steps;
    for (const auto& info : sets) {
      if (info.subset == subset) {
        steps.push_back(info.step);
      }
    }
    if (!steps.empty()) {
      out += (out.empty() ? "" : "; ") + number_list(steps, false) + " (" + subset + ")";
    }
  }
  return out;
}

nlohmann::json steps_json(const std::vector<QueryRecordSetInfo>& sets) {
  auto out = nlohmann::json::array();
  for (const auto& info : sets) {
    out.push_back({{"step", info.step},
                   {"epoch", info.epoch},
                   {"subset", info.subset},
                   {"count", info.count},
                   {"bytes", info.bytes}});
  }
  return out;
}

// The set to show: choose_record_set's rule, restricted to one subset when --subset is given.
QueryRecordSetInfo pick_set(const RunRecord& run, const std::vector<QueryRecordSetInfo>& sets,
                            std::optional<int64_t> step, const std::string& subset) {
  const std::string name = "run " + std::to_string(run.id) + " \"" + run.name + "\"";
  if (sets.empty() && run.task == "text") {
    // A text run records per-token validation losses, never per-query records: point to its tools.
    throw std::runtime_error(name +
                             " is a text run: per-query recall records are for MQAR-family runs. Its "
                             "per-token losses and AR hits: `zoolab-cli analyze " +
                             std::to_string(run.id) + "` (or the window's Text tab).");
  }
  if (sets.empty()) {
    std::string why = name +
                      " has no query records. The trainer writes them at each evaluation when "
                      "train.inspect.records is true (the default): every test query at the final "
                      "evaluation, a tracked subset (train.inspect.tracked_examples) at every one.";
    why += run.status == RunStatus::Queued || run.status == RunStatus::Running
               ? " The run is " + std::string(to_string(run.status)) + ": wait for its first evaluation."
               : " Train a run with \"train\": {\"inspect\": {\"records\": true}} to get them.";
    throw std::runtime_error(why);
  }
  std::vector<QueryRecordSetInfo> candidates;
  for (const auto& info : sets) {
    if (subset.empty() || info.subset == subset) {
      candidates.push_back(info);
    }
  }
  if (const auto chosen = choose_record_set(candidates, step)) {
    return *chosen;
  }
  std::string what = subset.empty() ? "query records" : "\"" + subset + "\" query records";
  if (step) {
    what += " at step " + std::to_string(*step);
  }
  throw std::runtime_error(name + " has no " + what + "; recorded steps: " + recorded_steps(sets));
}

// Gap groups for the text tables: one per gap while there are few, else equal-width ranges (the empty
// ones left out), so a 256-token run does not print 120 rows. JSON keeps every gap.
struct GapBins {
  std::vector<std::pair<int64_t, int64_t>> ranges;  // [lo, hi], ascending
  int64_t count() const { return static_cast<int64_t>(ranges.size()); }
  int64_t index(int64_t gap) const {
    const auto found =
        std::lower_bound(ranges.begin(), ranges.end(), gap,
                         [](const std::pair<int64_t, int64_t>& r, int64_t g) { return r.second < g; });
    return static_cast<int64_t>(found - ranges.begin());
  }
  std::string label(int64_t bin) const {
    const auto& [lo, hi] = ranges[static_cast<size_t>(bin)];
    return lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
  }
};

GapBins gap_bins(const std::vector<int64_t>& gaps) {  // ascending, distinct
  constexpr int64_t kMaxRows = 16;
  GapBins bins;
  if (static_cast<int64_t>(gaps.size()) <= kMaxRows) {
    for (const int64_t gap : gaps) {
      bins.ranges.emplace_back(gap, gap);
    }
    return bins;
  }
  const int64_t width = (gaps.back() + kMaxRows) / kMaxRows;  // ceil((max + 1) / kMaxRows); gaps are >= 0
  for (const int64_t gap : gaps) {
    const int64_t lo = gap / width * width;  // aligned ranges (0-7, 8-15, ...) read better
    if (bins.ranges.empty() || bins.ranges.back().first != lo) {
      bins.ranges.emplace_back(lo, lo + width - 1);
    }
  }
  return bins;
}

void print_bins(const char* title, const char* value_name, const std::vector<AccuracyBin>& bins,
                const char* n_name) {
  std::printf("\n%s\n  %-14s %8s  %8s\n", title, value_name, n_name, "accuracy");
  for (const auto& bin : bins) {
    std::printf("  %-14lld %8lld  %8.4f\n", static_cast<long long>(bin.value), static_cast<long long>(bin.n),
                bin.accuracy);
  }
}

void print_summary(const RecallSummary& summary) {
  std::printf("  %lld examples, %lld queries\n", static_cast<long long>(summary.examples),
              static_cast<long long>(summary.queries));
  std::printf("  accuracy %.4f (mean per example, as valid/accuracy), query accuracy %.4f, mean loss %.4f\n",
              summary.accuracy, summary.query_accuracy, summary.mean_loss);

  std::vector<int64_t> gaps;
  for (const auto& bin : summary.by_gap) {
    gaps.push_back(bin.value);
  }
  const auto bins = gap_bins(gaps);
  std::vector<std::pair<int64_t, double>> grouped(static_cast<size_t>(bins.count()));  // (n, correct)
  for (const auto& bin : summary.by_gap) {
    auto& group = grouped[static_cast<size_t>(bins.index(bin.value))];
    group.first += bin.n;
    group.second += bin.accuracy * static_cast<double>(bin.n);
  }
  // The source is the task's (docs/tasks.md#queries-and-the-inspector): the key for recall, the token to
  // copy for copying; gap 0 is a query without one.
  std::printf(
      "\naccuracy by gap (query position - its source's: the key, or the token to copy; 0: none)\n"
      "  %-14s %8s  %8s\n",
      "gap", "queries", "accuracy");
  for (int64_t b = 0; b < bins.count(); ++b) {
    const auto& group = grouped[static_cast<size_t>(b)];
    if (group.first > 0) {
      std::printf("  %-14s %8lld  %8.4f\n", bins.label(b).c_str(), static_cast<long long>(group.first),
                  group.second / static_cast<double>(group.first));
    }
  }
  print_bins("accuracy by kv index (the stored pair or item; -1: none)", "kv index", summary.by_kv_index,
             "queries");
  print_bins("accuracy by query position", "position", summary.by_position, "queries");
  for (const auto& [key, slice] : summary.by_slice) {
    print_bins(("accuracy by " + key + " (mean per example)").c_str(), key.c_str(), slice, "examples");
  }
}

void print_history(const GapHistory& history, const std::vector<QueryRecordSet>& sets) {
  const auto bins = gap_bins(history.gaps);
  std::printf("\naccuracy by gap over tracked evaluations (rows: step; columns: gap)\n  %8s", "step");
  for (int64_t b = 0; b < bins.count(); ++b) {
    std::printf(" %7s", bins.label(b).c_str());
  }
  std::printf("\n");
  // Binned cells count the queries of every gap they hold; blank where an evaluation had none.
  for (const auto& set : sets) {
    std::vector<std::pair<int64_t, int64_t>> cells(static_cast<size_t>(bins.count()));  // (right, n)
    for (const auto& record : set.records) {
      auto& cell = cells[static_cast<size_t>(bins.index(record.gap))];
      cell.first += record.correct ? 1 : 0;
      ++cell.second;
    }
    std::printf("  %8lld", static_cast<long long>(set.step));
    for (const auto& cell : cells) {
      if (cell.second > 0) {
        std::printf(" %7.3f", static_cast<double>(cell.first) / static_cast<double>(cell.second));
      } else {
        std::printf(" %7s", "");
      }
    }
    std::printf("\n");
  }
}

// One test example with its recorded queries. The tokens are regenerated from the configuration, so they
// are checked against what the records say was at each query.
nlohmann::json example_json(const RunRecord& run, const QueryRecordSet& set, int64_t index) {
  const auto config = parse_run_config(parse_strict_json(run.config_json));
  const auto example = test_example(regenerate_test_split(config), index);
  std::vector<const QueryRecord*> queries;
  std::set<int64_t> recorded_examples;
  for (const auto& record : set.records) {
    recorded_examples.insert(record.example);
    if (record.example == index) {
      queries.push_back(&record);
    }
  }
  const std::string where = "run " + std::to_string(run.id) + ", step " + std::to_string(set.step) + " (\"" +
                            set.subset + "\" records)";
  if (queries.empty()) {
    throw std::runtime_error(
        "test example " + std::to_string(index) + " has no records in " + where +
        "; the recorded examples are " +
        number_list(std::vector<int64_t>(recorded_examples.begin(), recorded_examples.end()), true) +
        (set.subset == "tracked" ? " (the final evaluation's \"all\" set has every example)" : ""));
  }
  const auto mismatch = [&](const std::string& what) {
    return std::runtime_error("test example " + std::to_string(index) + ", regenerated from run " +
                              std::to_string(run.id) + "'s configuration, does not match " + where + ": " +
                              what + " (was the data generator changed since the run was trained?)");
  };
  int64_t labelled = 0;
  for (const int64_t label : example.labels) {
    labelled += label != kIgnoreLabel ? 1 : 0;
  }
  if (labelled != static_cast<int64_t>(queries.size())) {
    throw mismatch(std::to_string(labelled) + " labelled positions, " + std::to_string(queries.size()) +
                   " records");
  }
  auto out = nlohmann::json::array();
  for (const auto* record : queries) {
    const auto p = static_cast<size_t>(record->position);
    if (record->position < 0 || p >= example.inputs.size()) {
      throw mismatch("a record's position " + std::to_string(record->position) + " is outside the " +
                     std::to_string(example.inputs.size()) + " tokens");
    }
    if (example.inputs[p] != record->key || example.labels[p] != record->target) {
      throw mismatch("position " + std::to_string(record->position) + " holds token " +
                     std::to_string(example.inputs[p]) + " with label " + std::to_string(example.labels[p]) +
                     ", the record key " + std::to_string(record->key) + " and target " +
                     std::to_string(record->target));
    }
    out.push_back(to_json(*record));
  }
  return {{"example", example.example},
          {"segment", example.segment},
          {"tokens", example.inputs},
          {"labels", example.labels},
          {"queries", out}};
}

void print_example(const nlohmann::json& example) {
  std::printf("\nexample %lld (segment %lld), %zu tokens:\n ", example["example"].get<long long>(),
              example["segment"].get<long long>(), example["tokens"].size());
  for (const auto& token : example["tokens"]) {
    std::printf(" %lld", token.get<long long>());
  }
  std::printf("\n  %8s %6s %6s %10s %5s %8s %8s %4s\n", "position", "key", "target", "prediction", "right",
              "p_target", "loss", "gap");
  for (const auto& q : example["queries"]) {
    std::printf("  %8d %6d %6d %10d %5s %8.4f %8.4f %4d\n", q["position"].get<int>(), q["key"].get<int>(),
                q["target"].get<int>(), q["prediction"].get<int>(), q["correct"].get<bool>() ? "yes" : "no",
                q["p_target"].get<double>(), q["loss"].get<double>(), q["gap"].get<int>());
  }
}

void run_inspect(const InspectArgs& args) {
  Store store(database_path(args.db));
  const auto run = find_run_or_throw(store, args.run);
  const auto sets = store.list_query_records(run.id);
  const auto info = pick_set(run, sets, args.step, args.subset);
  const auto set = load_record_set(store, run.id, info.step, info.subset);
  const auto summary = summarize_recall(set);

  nlohmann::json out = to_json(summary);
  out["run"] = {{"id", run.id}, {"name", run.name}};
  out["step"] = set.step;
  out["epoch"] = set.epoch;
  out["subset"] = set.subset;
  out["steps"] = steps_json(sets);

  if (args.example) {
    out["example"] = example_json(run, set, *args.example);
  }
  if (!args.vs.empty()) {
    // Run B's set of the same subset, at the same step when it has one (runs of one configuration
    // evaluate at the same steps), else its latest.
    const auto other = find_run_or_throw(store, args.vs);
    const auto other_sets = store.list_query_records(other.id);
    std::vector<QueryRecordSetInfo> same_step;
    for (const auto& candidate : other_sets) {
      if (candidate.subset == set.subset && candidate.step == set.step) {
        same_step.push_back(candidate);
      }
    }
    const auto other_info =
        same_step.empty() ? pick_set(other, other_sets, {}, set.subset) : same_step.front();
    const auto other_set = load_record_set(store, other.id, other_info.step, other_info.subset);
    out["comparison"] = to_json(compare_recall(set, other_set));
    out["comparison"]["run_b"] = {{"id", other.id}, {"name", other.name}};
    out["comparison"]["step_b"] = other_set.step;
    out["comparison"]["epoch_b"] = other_set.epoch;
    out["comparison"]["subset_b"] = other_set.subset;
  }
  std::vector<QueryRecordSet> tracked;
  GapHistory history;
  if (args.history) {
    tracked = load_tracked_history(store, run.id);
    history = gap_history(tracked);
    out["gap_history"] = to_json(history);
  }

  if (args.json) {
    std::cout << out.dump(2) << std::endl;
    return;
  }
  std::printf("run %lld \"%s\": step %lld (epoch %lld), \"%s\" records\n", static_cast<long long>(run.id),
              run.name.c_str(), static_cast<long long>(set.step), static_cast<long long>(set.epoch),
              set.subset.c_str());
  print_summary(summary);
  if (args.example) {
    print_example(out["example"]);
  }
  if (!args.vs.empty()) {
    const auto& c = out["comparison"];
    std::printf(
        "\nagainst run %lld \"%s\" (step %lld): both right %lld, only this run %lld, only the other %lld, "
        "both wrong %lld queries\n",
        c["run_b"]["id"].get<long long>(), c["run_b"]["name"].get<std::string>().c_str(),
        c["step_b"].get<long long>(), c["both_right"].get<long long>(), c["only_a"].get<long long>(),
        c["only_b"].get<long long>(), c["both_wrong"].get<long long>());
  }
  if (args.history) {
    print_history(history, tracked);
  }
  std::printf("\nrecorded steps: %s\n", recorded_steps(sets).c_str());
}

}  // namespace

void add_inspect_command(CLI::App& app, CliState& state) {
  auto args = std::make_shared<InspectArgs>();
  auto* inspect = app.add_subcommand("inspect", "Recall analysis of a run's per-query evaluation records");
  inspect->add_option("run", args->run, "Run id or name")->required();
  inspect->add_option("--db", args->db, kDatabaseOptionHelp);
  inspect->add_option(
      "--step", args->step,
      "Evaluation step (default: the final evaluation's records, else the latest tracked ones)");
  inspect->add_option("--example", args->example, "Also show this test example: tokens and its queries");
  inspect->add_flag("--json", args->json, "One JSON object");
  inspect->add_option("--subset", args->subset, "Which records: all (every test query) or tracked")
      ->check(CLI::IsMember({"all", "tracked"}));
  inspect->add_option("--vs", args->vs, "Compare query by query with another run (id or name)");
  inspect->add_flag("--history", args->history, "Accuracy by gap at every tracked evaluation");
  inspect->callback([args, &state]() {
    run_inspect(*args);
    state.exit_code = 0;
  });
}

}  // namespace zoolab
