// zoolab-cli runs, show, presets, mixers and tasks: reading what is there.

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <set>

#include "engine/analysis/run_facts.h"
#include "engine/analysis/run_query.h"
#include "engine/cli/commands.h"
#include "engine/config/presets.h"
#include "engine/data/task_registry.h"
#include "engine/store/metric_summary.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"
#include "engine/util/input_error.h"
#include "models/registry.h"

namespace zoolab {
namespace {

struct QueryArgs {
  std::string db;
  std::string run;
  std::string where;
  bool json = false;
};

std::string metric_cell(const std::vector<MetricSummary>& summaries, const std::string& key, bool best,
                        const char* format = "%.4f") {
  for (const auto& summary : summaries) {
    if (summary.key == key) {
      char cell[32];
      std::snprintf(cell, sizeof(cell), format, best ? summary.best : summary.last);
      return cell;
    }
  }
  return "-";
}

// A bound of a parameter spec as people write it: 1, not 1.0; 0.01, not 0.01000000.
std::string query_bound_text(const nlohmann::json& bound) {
  const double value = bound.get<double>();
  char text[32];
  std::snprintf(text, sizeof(text), "%.10g", value);
  return text;
}

// The allowed values of one parameter of `param_specs_to_json`: "[1, 64]", ">= 0", "<= 1", "one of a, b", or
// "" when any value of its type goes; `tasks` prints it in parentheses after the default.
std::string query_range_text(const nlohmann::json& param) {
  std::string range;
  if (param.contains("min") && param.contains("max")) {
    range = "[" + query_bound_text(param["min"]) + ", " + query_bound_text(param["max"]) + "]";
  } else if (param.contains("min")) {
    range = ">= " + query_bound_text(param["min"]);
  } else if (param.contains("max")) {
    range = "<= " + query_bound_text(param["max"]);
  }
  if (param.contains("choices")) {
    std::string choices;
    for (const auto& choice : param["choices"]) {
      choices += (choices.empty() ? "" : ", ") + choice.get<std::string>();
    }
    range += (range.empty() ? "one of " : ", one of ") + choices;
  }
  return range;
}

// The ids of the runs `where` keeps, evaluated as the window's filter box does (engine/analysis/run_query.h).
// A query that does not parse is an input error naming the column, with the query and a caret under it.
std::set<int64_t> runs_where(const Store& store, const std::string& where) {
  RunQuery query;
  try {
    query = RunQuery::parse(where);
  } catch (const ParseError& error) {
    throw InputError("--where: " + std::string(error.what()) + "\n" +
                     caret_line(to_valid_utf8(where), error.column()) +
                     "\n(terms: field:value, field>=N, name~regex, best(valid/accuracy)>0.9, words; "
                     "joined by and, or, not and parentheses)");
  }
  std::set<int64_t> ids;
  for (const auto& facts : load_run_facts(store)) {
    if (query.matches(facts)) {
      ids.insert(facts.run.id);
    }
  }
  return ids;
}

}  // namespace

void add_query_commands(CLI::App& app, CliState& state) {
  auto args = std::make_shared<QueryArgs>();

  auto* runs = app.add_subcommand("runs", "List the runs in the database, newest first");
  runs->add_option("--db", args->db, kDatabaseOptionHelp);
  runs->add_flag("--json", args->json, "One JSON array of runs");
  runs->add_option("--where", args->where,
                   "Only the runs a query keeps, as the window's filter box: 'mixer:based d_model>=64', "
                   "'best(valid/accuracy)>=0.99 or tag:baseline', 'name~^fig2 not status:failed'");
  runs->callback([args, &state]() {
    Store store(database_path(args->db), Store::Access::Read);
    store.reap_dead_runs();
    auto records = store.list_runs();
    if (!args->where.empty()) {
      const std::set<int64_t> kept = runs_where(store, args->where);
      records.erase(std::remove_if(records.begin(), records.end(),
                                   [&](const RunRecord& run) { return kept.count(run.id) == 0; }),
                    records.end());
    }
    if (args->json) {
      auto out = nlohmann::json::array();
      for (const auto& run : records) {
        out.push_back(run_to_json(store, run));
      }
      std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
      return;
    }
    if (records.empty() && !args->where.empty()) {
      std::cout << "no run in " << escape_for_terminal(store.path()) << " matches --where "
                << escape_for_terminal(args->where) << "\n";
      state.exit_code = 0;
      return;
    }
    if (records.empty()) {
      std::cout << "no runs in " << store.path()
                << "; start one with `zoolab-cli train --preset mqar-quick`\n";
      return;
    }
    // A text run's "epochs" are its validations, and its best is the lowest validation perplexity.
    std::printf("%5s  %-28s %-12s %-11s %6s %8s %10s %9s\n", "id", "name", "mixer", "status", "epochs",
                "steps", "params", "best acc");
    for (const auto& run : records) {
      std::printf(
          "%5lld  %-28.28s %-12.12s %-11s %6lld %8lld %10lld %9s\n", static_cast<long long>(run.id),
          escape_for_terminal(run.name).c_str(), escape_for_terminal(run.mixer).c_str(),
          to_string(run.status), static_cast<long long>(run.epochs), static_cast<long long>(run.steps),
          static_cast<long long>(run.num_parameters),
          run.task == "text"
              ? ("ppl " + metric_cell(store.summary(run.id), "valid/perplexity", true, "%.1f")).c_str()
              : metric_cell(store.summary(run.id), "valid/accuracy", true).c_str());
    }
    state.exit_code = 0;
  });

  auto* show = app.add_subcommand("show", "Show one run: status, sizes and its metrics");
  show->add_option("run", args->run, "Run id or name")->required();
  show->add_option("--db", args->db, kDatabaseOptionHelp);
  show->add_flag("--json", args->json, "One JSON object");
  show->callback([args, &state]() {
    Store store(database_path(args->db), Store::Access::Read);
    store.reap_dead_runs();
    const auto run = find_run_or_throw(store, args->run);
    const auto json = run_to_json(store, run);
    if (args->json) {
      std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
      return;
    }
    // Every text from the database is escaped: a run name or a stored error must not drive the terminal.
    std::cout << "run " << run.id << " \"" << escape_for_terminal(run.name) << "\": " << to_string(run.status)
              << "\n"
              << "  mixer " << escape_for_terminal(run.mixer) << ", " << run.num_parameters
              << " parameters, state size " << run.state_size << " bytes\n"
              << "  " << run.epochs << " epochs, " << run.steps << " steps on "
              << escape_for_terminal(run.device) << "\n";
    if (!run.error.empty()) {
      std::cout << "  " << escape_for_terminal(run.error) << "\n";
    }
    // "best" only where the metric has a direction (accuracy, loss, perplexity): not for a learning rate.
    for (const auto& summary : store.summary(run.id)) {
      if (has_best(summary.key)) {
        std::printf("  %-36s last %.6g  best %.6g (step %lld)\n", escape_for_terminal(summary.key).c_str(),
                    summary.last, summary.best, static_cast<long long>(summary.best_step));
      } else {
        std::printf("  %-36s last %.6g\n", escape_for_terminal(summary.key).c_str(), summary.last);
      }
    }
    state.exit_code = 0;
  });

  auto* presets = app.add_subcommand("presets", "List the built-in presets");
  presets->add_flag("--json", args->json, "One JSON array of {name, description, config}");
  presets->callback([args, &state]() {
    const auto all = list_presets();
    if (args->json) {
      auto out = nlohmann::json::array();
      for (const auto& preset : all) {
        out.push_back(
            {{"name", preset.name}, {"description", preset.description}, {"config", to_json(preset.config)}});
      }
      std::cout << out.dump(2) << std::endl;
      return;
    }
    for (const auto& preset : all) {
      std::printf("%-28s %s\n", preset.name.c_str(), preset.description.c_str());
    }
    std::printf("\nSweeps of presets (the paper's figures): `zoolab-cli sweep --list`.\n");
    state.exit_code = 0;
  });

  auto* mixers = app.add_subcommand("mixers", "List the registered mixers and their parameters");
  mixers->add_flag("--json", args->json, "The registry as JSON");
  mixers->callback([args, &state]() {
    const auto registry = registry_to_json();
    if (args->json) {
      std::cout << registry.dump(2) << std::endl;
      return;
    }
    for (const auto& mixer : registry) {
      std::cout << mixer["name"].get<std::string>() << " (" << mixer["kind"].get<std::string>()
                << "): " << mixer["summary"].get<std::string>() << "\n";
      for (const auto& param : mixer["params"]) {
        std::cout << "    " << param["name"].get<std::string>() << ": " << param["type"].get<std::string>()
                  << " = " << param["default"].dump() << "  " << param["doc"].get<std::string>() << "\n";
      }
    }
    state.exit_code = 0;
  });

  auto* tasks =
      app.add_subcommand("tasks", "List the registered data tasks, their parameters and slice keys");
  tasks->add_flag("--json", args->json, "The registry as JSON");
  tasks->callback([args, &state]() {
    const auto registry = task_registry_to_json();
    if (args->json) {
      std::cout << registry.dump(2) << std::endl;
      return;
    }
    // The registry's text is ours, but it is escaped as every listed text is: a doc with a newline or a
    // control character still prints as one line.
    for (const auto& task : registry) {
      const auto name = task["name"].get<std::string>();
      std::cout << escape_for_terminal(name) << " (" << escape_for_terminal(task["family"].get<std::string>())
                << "): " << escape_for_terminal(task["summary"].get<std::string>()) << "\n";
      if (task["params"].empty()) {
        std::cout << "    (no parameters besides input_seq_len and num_examples)\n";
      }
      for (const auto& param : task["params"]) {
        const auto range = query_range_text(param);
        std::cout << "    " << escape_for_terminal(param["name"].get<std::string>()) << ": "
                  << param["type"].get<std::string>() << " = " << escape_for_terminal(param["default"].dump())
                  << (range.empty() ? "" : " (" + escape_for_terminal(range) + ")") << "  "
                  << escape_for_terminal(param["doc"].get<std::string>()) << "\n";
      }
      std::string slice_keys;
      for (const auto& key : task["slice_keys"]) {
        slice_keys += (slice_keys.empty() ? "" : ", ") + key.get<std::string>();
      }
      std::cout << "    slice keys: " << escape_for_terminal(slice_keys.empty() ? "(none)" : slice_keys)
                << "\n";
      const TaskSpec& spec = find_task(name);
      std::cout << "    example segment: " << escape_for_terminal(spec.example.dump())
                << " with data.vocab_size " << spec.example_vocab_size << "\n";
    }
    state.exit_code = 0;
  });
}

}  // namespace zoolab
