#include "engine/analysis/dashboards.h"

#include <stdexcept>

#include "engine/analysis/dashboard_groups.h"
#include "engine/analysis/dashboard_support.h"
#include "engine/analysis/task_definition.h"
#include "engine/store/store.h"

namespace zoolab {

const std::vector<DashboardInfo>& dashboard_list() {
  static const std::vector<DashboardInfo> list = {
      {"accuracy-vs-width", "Accuracy vs model width",
       "MQAR accuracy against d_model, one panel per sequence length and one line per mixer, best run (or "
       "mean of a seed group) over the other settings (Zoology Fig. 2)"},
      {"accuracy-vs-state-size", "Accuracy vs state size",
       "Accuracy against the recurrent state size in bytes, best run per mixer and size, with the smallest "
       "state reaching 0.99 marked (Based paper Fig. 2)"},
      {"accuracy-vs-parameters", "Accuracy vs parameters",
       "Accuracy against the parameter count, best run per mixer and size"},
      {"accuracy-by-kv-pairs", "Accuracy by kv pairs",
       "Per-slice accuracy against the number of key-value pairs, for each mixer's best run"},
      {"accuracy-by-seq-len", "Accuracy by sequence length",
       "Per-slice accuracy against the input sequence length, for each mixer's best run"},
      {"parallel-coordinates", "Parallel coordinates",
       "Every run as a line across the configuration values that differ between runs, coloured by the "
       "metric"},
      {"pivot-table", "Pivot table",
       "A table of the metric with chosen rows and columns (mixer, sweep, status or a config path), each "
       "cell the best, mean or last run value, or the best seed group's mean ± std (n)"},
      {"mad-scorecard", "MAD scorecard",
       "Accuracy on each MAD task per architecture (mean over the task's difficulty settings of the best run "
       "over learning rate and weight decay) and the MAD score, their mean (MAD protocol)"},
  };
  return list;
}

Figure build_dashboard(const std::string& name, const std::vector<RunFacts>& runs,
                       const DashboardOptions& options) {
  const DashboardInfo* info = nullptr;
  std::string known;
  for (const auto& entry : dashboard_list()) {
    known += (known.empty() ? "" : ", ") + entry.name;
    if (entry.name == name) {
      info = &entry;
    }
  }
  if (info == nullptr) {
    throw std::invalid_argument("unknown dashboard \"" + name + "\"; the dashboards are " + known);
  }
  dashboard::check_error_bars(options);
  // The accuracy dashboards compare MQAR runs of one task definition (task_definition.h); the
  // parallel coordinates, the pivot table and the MAD scorecard show whatever runs they are given.
  const bool accuracy = name == "accuracy-vs-width" || name == "accuracy-vs-state-size" ||
                        name == "accuracy-vs-parameters" || name == "accuracy-by-kv-pairs" ||
                        name == "accuracy-by-seq-len";
  dashboard::Selection selection = dashboard::select_runs(runs, options, accuracy);
  Figure figure;
  figure.name = name;
  figure.title = info->title;
  if (accuracy) {
    dashboard::keep_one_task_definition(figure, selection, name, options);
  }
  figure.notes = selection.notes;
  if (name == "accuracy-vs-width") {
    figure.title = "MQAR accuracy vs model width (Zoology Fig. 2)";
    dashboard::accuracy_vs_width(figure, selection, options);
  } else if (name == "accuracy-vs-state-size") {
    figure.title = "MQAR accuracy vs state size (Based paper Fig. 2)";
    dashboard::accuracy_vs_state_size(figure, selection, options);
  } else if (name == "accuracy-vs-parameters") {
    figure.title = "MQAR accuracy vs parameters";
    dashboard::accuracy_vs_parameters(figure, selection, options);
  } else if (name == "accuracy-by-kv-pairs") {
    figure.title = "Accuracy by number of key-value pairs";
    dashboard::accuracy_by_slice(figure, selection, options, "num_kv_pairs", "Number of KV pairs", true);
  } else if (name == "accuracy-by-seq-len") {
    figure.title = "Accuracy by sequence length";
    dashboard::accuracy_by_slice(figure, selection, options, "input_seq_len", "Sequence length", false);
  } else if (name == "parallel-coordinates") {
    figure.title = "Configurations vs " + options.metric;
    dashboard::parallel_coordinates(figure, selection, options);
  } else if (name == "mad-scorecard") {
    figure.title = "MAD scorecard: " + options.metric + " per task and architecture";
    dashboard::mad_scorecard(figure, selection, options);
  } else {
    figure.title = options.metric + " by " + options.rows + " and " + options.columns;
    dashboard::pivot_table(figure, selection, options);
  }
  if (options.pin_paper &&
      (name == "accuracy-vs-parameters" || name == "accuracy-by-kv-pairs" || name == "accuracy-by-seq-len" ||
       name == "parallel-coordinates" || name == "pivot-table" || name == "mad-scorecard")) {
    // the papers report no numbers these axes could hold (docs/reference.md#the-papers-values,
    // engine/analysis/paper_reference.h).
    figure.notes.push_back("the papers report no values for this dashboard, so none are pinned");
  }
  return figure;
}

Figure build_dashboard(const std::string& name, const Store& store, const DashboardOptions& options) {
  return build_dashboard(name, load_run_facts(store), options);
}

}  // namespace zoolab
