// zoolab-cli analyze: the AR-hit analysis of a text run's per-token validation losses
// (engine/text/ar_hits.h), and with --vs the decomposition of the gap between two runs (the paper's Table 1
// and "82% of the gap", docs/reference.md#gap-share). The GUI's slice table calls the same functions, so the
// two always agree.

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include "engine/cli/commands.h"
#include "engine/text/ar_hits.h"
#include "engine/text/token_losses.h"

namespace zoolab {
namespace {

struct AnalyzeArgs {
  std::string db;
  std::string run;
  std::string vs;
  bool json = false;
  uint64_t frequency_cutoff = AnalysisOptions{}.frequency_cutoff;
};

std::string run_label(const RunRecord& run) {
  return "run " + std::to_string(run.id) + " \"" + run.name + "\"";
}

TokenLossSet load_token_losses(const Store& store, const RunRecord& run) {
  const auto blob = store.token_losses(run.id);
  if (!blob) {
    throw std::runtime_error(
        run_label(run) +
        " has no per-token validation losses: it is not a text run or has not validated yet " +
        "(its task is \"" + run.task + "\", status " + to_string(run.status) +
        "). Text runs (\"data\": {\"task\": \"text\"}) store them at each validation, every "
        "train.eval_interval steps.");
  }
  try {
    return decode_token_losses(*blob);
  } catch (const std::runtime_error& error) {
    throw std::runtime_error(run_label(run) + ": its stored " + error.what());
  }
}

nlohmann::json run_json(const RunRecord& run, const TokenLossSet& set) {
  return {{"id", run.id},         {"name", run.name},    {"epoch", set.epoch}, {"sequences", set.sequences},
          {"length", set.length}, {"shards", set.shards}};
}

std::vector<const SliceStats*> slices(const TextAnalysis& a) {
  std::vector<const SliceStats*> out = {&a.overall, &a.ar_hits, &a.other};
  for (const auto& s : a.ar_hits_by_frequency) {
    out.push_back(&s);
  }
  for (const auto& s : a.ar_hits_by_distance) {
    out.push_back(&s);
  }
  return out;
}

// "-" for an empty slice rather than "nan".
std::string number(double value, const char* format) {
  if (!std::isfinite(value)) {
    return std::isinf(value) && value > 0 ? "inf" : "-";
  }
  char text[64];
  std::snprintf(text, sizeof(text), format, value);
  return text;
}

void print_table(const TextAnalysis& a, const TextAnalysis* b) {
  std::printf("\n  %-28s %9s %8s %10s %11s", "slice", "tokens", "share", b ? "loss A" : "mean loss",
              b ? "ppl A" : "perplexity");
  if (b) {
    std::printf(" %10s %11s", "loss B", "ppl B");
  }
  std::printf("\n");
  const auto rows_a = slices(a);
  const auto rows_b = b ? slices(*b) : std::vector<const SliceStats*>{};
  const double total = static_cast<double>(a.overall.tokens);
  for (size_t i = 0; i < rows_a.size(); ++i) {
    const SliceStats& s = *rows_a[i];
    const double share = total > 0 ? 100.0 * static_cast<double>(s.tokens) / total : NAN;
    std::printf("  %-28s %9lld %7s%% %10s %11s", s.name.c_str(), static_cast<long long>(s.tokens),
                number(share, "%.2f").c_str(), number(s.mean_loss, "%.4f").c_str(),
                number(s.perplexity, "%.3f").c_str());
    if (b) {
      std::printf(" %10s %11s", number(rows_b[i]->mean_loss, "%.4f").c_str(),
                  number(rows_b[i]->perplexity, "%.3f").c_str());
    }
    std::printf("\n");
  }
}

void print_gap(const GapDecomposition& gap, const RunRecord& a, const RunRecord& b, uint64_t cutoff) {
  std::printf("\ngap decomposition (%s minus %s, on the tokens both predicted):\n", run_label(a).c_str(),
              run_label(b).c_str());
  std::printf("  perplexity gap                 %s\n", number(gap.perplexity_gap, "%+.4f").c_str());
  std::printf("  summed loss difference         %s nats\n", number(gap.loss_difference_sum, "%+.4f").c_str());
  std::printf("    on AR hits                   %s nats\n",
              number(gap.ar_hits_difference_sum, "%+.4f").c_str());
  std::printf("    on other tokens              %s nats\n",
              number(gap.other_difference_sum, "%+.4f").c_str());
  std::printf("  share of the difference on AR hits  %s%%  (AR hits are %s%% of the tokens)\n",
              number(100.0 * gap.gap_share_ar_hits, "%.1f").c_str(),
              number(100.0 * gap.ar_hit_token_share, "%.1f").c_str());
  // The paper's heuristic AR hit also needs a bigram rarer than the cut-off
  // (docs/reference.md#the-ar-hit-rule).
  std::printf("    of it on AR hits with train count < %llu  %s%%  (%s%% of the tokens)\n",
              static_cast<unsigned long long>(cutoff),
              number(100.0 * gap.gap_share_rare_ar_hits, "%.1f").c_str(),
              number(100.0 * gap.rare_ar_hit_token_share, "%.1f").c_str());
}

}  // namespace

void print_text_analysis(const Store& store, const RunRecord& run, const std::optional<RunRecord>& other,
                         const AnalysisOptions& options, bool json) {
  const auto set = load_token_losses(store, run);
  const auto analysis = analyze_token_losses(set, options);

  nlohmann::json out = to_json(analysis);
  out["run"] = run_json(run, set);
  out["frequency_cutoff"] = options.frequency_cutoff;

  std::optional<TextAnalysis> other_analysis;
  GapDecomposition gap;
  if (other) {
    const auto other_set = load_token_losses(store, *other);
    try {
      gap = compare_token_losses(set, other_set, options);
    } catch (const std::runtime_error& error) {
      throw std::runtime_error(run_label(run) + " against " + run_label(*other) + ": " + error.what());
    }
    other_analysis = analyze_token_losses(other_set, options);
    out["vs"] = to_json(*other_analysis);
    out["vs"]["run"] = run_json(*other, other_set);
    out["gap"] = to_json(gap);
    out["gap_share_ar_hits"] = out["gap"]["gap_share_ar_hits"];
  }

  if (json) {
    std::cout << out.dump(2) << std::endl;
    return;
  }
  std::printf("%s: per-token validation losses at step %lld (epoch %lld), %lld sequences of %lld tokens\n",
              run_label(run).c_str(), static_cast<long long>(set.step), static_cast<long long>(set.epoch),
              static_cast<long long>(set.sequences), static_cast<long long>(set.length));
  if (other) {
    std::printf("B: %s, step %lld\n", run_label(*other).c_str(),
                static_cast<long long>(other_analysis->step));
  }
  std::printf(
      "AR hit: the bigram (previous token, token) occurred earlier in the same sequence; "
      "train_count: the bigram's count in the training split\n");
  print_table(analysis, other_analysis ? &*other_analysis : nullptr);
  if (other) {
    print_gap(gap, run, *other, options.frequency_cutoff);
  }
}

void add_analyze_command(CLI::App& app, CliState& state) {
  auto args = std::make_shared<AnalyzeArgs>();
  auto* analyze =
      app.add_subcommand("analyze", "AR-hit analysis of a text run's per-token validation losses");
  analyze->add_option("run", args->run, "Run id or name (a text run that has validated)")->required();
  analyze->add_option("--vs", args->vs,
                      "Compare with another run on the same validation tokens: perplexity gap and the share "
                      "of the summed loss difference on AR hits (differences are RUN minus this one)");
  analyze->add_flag("--json", args->json, "One JSON object");
  analyze->add_option("--db", args->db, kDatabaseOptionHelp);
  analyze
      ->add_option("--frequency-cutoff", args->frequency_cutoff,
                   "Training count separating rare from frequent AR-hit bigrams (the paper's ~1000)")
      ->capture_default_str();
  analyze->callback([args, &state]() {
    Store store(database_path(args->db));
    const auto run = find_run_or_throw(store, args->run);
    std::optional<RunRecord> other;
    if (!args->vs.empty()) {
      other = find_run_or_throw(store, args->vs);
    }
    AnalysisOptions options;
    options.frequency_cutoff = args->frequency_cutoff;
    print_text_analysis(store, run, other, options, args->json);
    state.exit_code = 0;
  });
}

}  // namespace zoolab
