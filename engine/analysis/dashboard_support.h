#pragma once

// Internal to engine/analysis: what every dashboard shares (which runs take part and with which value,
// the "best" order, axis and label formatting, config paths) and the builders dashboards.cpp
// dispatches to. Not for views/: they call build_dashboard.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/analysis/dashboards.h"
#include "engine/analysis/figure.h"
#include "engine/analysis/run_facts.h"

namespace zoolab::dashboard {

// A run taking part in a dashboard and its value of the chosen metric.
struct RunValue {
  const RunFacts* run = nullptr;
  double value = 0.0;
};

struct Selection {
  std::vector<RunValue> runs;      // in the order of the input
  std::vector<std::string> notes;  // what was left out and why
};

// The runs of the sweep (if any) that are finished (or any status with include_unfinished) and have a
// finite value of options.metric, aggregated per options.aggregate; every run left out is counted in
// a note. With mqar_only, text runs (data.task "text") are left out first, under a note of their own:
// they are language modelling, not what the MQAR accuracy dashboards compare, and counting them as
// runs with "no valid/accuracy yet" would suggest they will get one. Throws std::invalid_argument for
// an aggregate other than "last" or "best".
Selection select_runs(const std::vector<RunFacts>& runs, const DashboardOptions& options,
                      bool mqar_only = false);

// Whether the run is a text (language modelling) run: data.task "text".
bool is_text_run(const RunFacts& run);

// The run's value of `key` ("last" or "best" of its summary), if it logged the key.
std::optional<double> summary_value(const RunFacts& run, const std::string& key,
                                    const std::string& aggregate);

// Whether `a` beats `b`: the higher value (lower for loss keys, as the store's "best" is), ties to the
// lower run id so that the choice never depends on the order runs were loaded in.
bool better(const RunValue& a, const RunValue& b, bool lower_wins);
bool lower_wins(const DashboardOptions& options);

// 4 significant digits ("0.9712", "1.3e+05"): labels and pivot cells.
std::string format_value(double value);
// An axis for the metric: "Accuracy" over 0..1 for valid/accuracy (0..1 for every accuracy key).
FigureAxis metric_axis(const std::string& metric);
// Ticks at exactly these values (the d_models present), labelled as integers where they are.
std::vector<std::pair<double, std::string>> ticks_at(const std::vector<double>& values);
// Hover text naming the chosen run: `run 12 "fig2-attention-L64-d64": lr 0.001, last valid/accuracy 0.9712`.
std::string describe_run(const RunValue& chosen, const DashboardOptions& options);

// Dotted paths of every scalar in a configuration ("model.d_model", "data.train.0.input_seq_len").
std::map<std::string, nlohmann::json> flatten_config(const nlohmann::json& config);
// A scalar as a category or cell text: strings bare, numbers as JSON writes them.
std::string scalar_text(const nlohmann::json& value);
// The value of a run field ("mixer" = the model label, "sweep" = its sweep's name, "status") or of a
// dotted configuration path; nullopt when the run has none.
std::optional<nlohmann::json> key_value(const RunFacts& run, const std::string& key);
bool is_run_field(const std::string& key);
// Orders category texts numerically where both are numbers ("64" < "128"), else as text.
bool category_less(const std::string& a, const std::string& b);

// The builders (dashboard_accuracy.cpp, dashboard_parallel.cpp, dashboard_pivot.cpp). `figure` arrives
// with name, title and the selection's notes filled in.
void accuracy_vs_width(Figure& figure, const Selection& selection, const DashboardOptions& options);
void accuracy_vs_state_size(Figure& figure, const Selection& selection, const DashboardOptions& options);
void accuracy_vs_parameters(Figure& figure, const Selection& selection, const DashboardOptions& options);
// slice: "num_kv_pairs" or "input_seq_len" (engine/train/evaluation.cpp's slice metric keys).
void accuracy_by_slice(Figure& figure, const Selection& selection, const DashboardOptions& options,
                       const std::string& slice, const std::string& x_title, bool log_x);
void parallel_coordinates(Figure& figure, const Selection& selection, const DashboardOptions& options);
void pivot_table(Figure& figure, const Selection& selection, const DashboardOptions& options);
// dashboard_scorecard.cpp: MAD's per-task accuracy and MAD score per architecture.
void mad_scorecard(Figure& figure, const Selection& selection, const DashboardOptions& options);

}  // namespace zoolab::dashboard
