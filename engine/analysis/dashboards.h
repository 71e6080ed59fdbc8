#pragma once

// The comparison dashboards of the run database (docs/architecture.md#a-dashboard), each a function from the
// runs' summaries to a Figure. No Qt: the GUI's dashboard view, `zoolab --export` and `zoolab-cli dashboard`
// all call build_dashboard, so they show the same runs.
//
// Selection follows Zoology's plotting scripts (docs/reference.md#choosing-the-best-run): a run's value is
// the summary of `metric` (its last logged value by default, as W&B's run summary is), and for every (model,
// d_model, sequence length) cell the run with the highest value over the other settings (learning rates) is
// chosen; the hover label of each point names the chosen run. Runs repeating one setting over seeds (a seed
// group) compete as one by their mean and are plotted as the mean with an error bar; and the accuracy
// dashboards compare runs of one task definition only (the same data and training budget), the one with
// most runs unless DashboardOptions::task_definition names another.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/analysis/figure.h"
#include "engine/analysis/run_facts.h"

namespace zoolab {

class Store;

struct DashboardOptions {
  std::string metric = "valid/accuracy";
  std::string aggregate = "last";   // per run: "last" (Zoology) or "best" value of the metric
  bool include_unfinished = false;  // also running/cancelled/... runs that logged the metric
  bool pin_paper = false;           // add the paper's values (docs/reference.md#the-papers-values)
  std::optional<int64_t> sweep_id;  // only the runs of this sweep
  // A point of a seed group (engine/analysis/seed_group.h) is the group mean with error bars: "std"
  // (mean ± sample standard deviation), "minmax" (min to max) or "none".
  std::string error_bars = "std";
  // The key of the task definition to compare (Figure::task_definitions); empty: the one with most runs.
  std::string task_definition;
  // pivot-table: rows and columns are dotted config paths or run fields ("mixer" = the model label),
  // cell one of "best", "mean", "last" (the best, mean or newest run value in the cell) or "group" (the
  // cell's best seed group by its mean, shown as "mean ± std (n)").
  std::string rows = "mixer";
  std::string columns = "model.d_model";
  std::string cell = "best";
  // parallel-coordinates: the config paths on the axes; empty = every path whose value differs
  // between the runs.
  std::vector<std::string> dimensions;
};

struct DashboardInfo {
  std::string name;         // "accuracy-vs-width"
  std::string title;        // shown in the GUI's chooser
  std::string description;  // one sentence for --list-dashboards
};

// Every dashboard, in the GUI's order: accuracy-vs-width, accuracy-vs-state-size,
// accuracy-vs-parameters, accuracy-by-kv-pairs, accuracy-by-seq-len, parallel-coordinates,
// pivot-table, mad-scorecard.
const std::vector<DashboardInfo>& dashboard_list();

// Throws std::invalid_argument naming the dashboard and listing the known ones, or naming a bad
// option value (aggregate, error_bars, task_definition, cell, an unknown path).
Figure build_dashboard(const std::string& name, const std::vector<RunFacts>& runs,
                       const DashboardOptions& options = {});
Figure build_dashboard(const std::string& name, const Store& store, const DashboardOptions& options = {});

}  // namespace zoolab
