#pragma once

// A dashboard's content as plain data (no Qt, no torch): panels of series of points, or a table. The
// engine builds it from the run database (engine/analysis/dashboards.h); views/ draws it with
// QCustomPlot and exports it, and the CSV written here is the full-resolution data behind every
// exported figure, so a plot and its CSV can never disagree.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace zoolab {

// A point that stands for a seed group (engine/analysis/seed_group.h): y is the group's mean, and the
// error bar runs from low to high (mean ± std, or min to max, as DashboardOptions::error_bars chose).
struct FigureSpread {
  int64_t n = 0;
  double mean = 0.0;
  double std = 0.0;
  double min = 0.0;
  double max = 0.0;
  double low = 0.0;
  double high = 0.0;
};

struct FigurePoint {
  double x = 0.0;
  double y = 0.0;
  int64_t run_id = 0;  // the run behind the point (a group's best member); 0 for reference values
  std::string label;   // hover text: which run was chosen and why ("run 12 fig2-... lr=0.01, last 0.97")
  // Every run behind the point, run_id among them (the group's members; just run_id for a single run;
  // empty for reference values). Clicking the point selects these runs.
  std::vector<int64_t> run_ids;
  std::optional<FigureSpread> spread;  // set when the point summarises a group of more than one run

  // A point of one run (run_ids = {run_id}).
  static FigurePoint of_run(double x, double y, int64_t run_id, std::string label);
  // A published value, no run behind it.
  static FigurePoint reference(double x, double y, std::string label);
};

enum class SeriesStyle {
  Line,       // points joined in x order (accuracy vs width)
  Scatter,    // markers only (accuracy vs state size)
  Reference,  // pinned published values: dashed, hollow markers, "(paper)" in the legend
};

struct FigureSeries {
  std::string name;   // legend entry
  std::string group;  // colour key: the same group gets the same colour in every panel (the model)
  SeriesStyle style = SeriesStyle::Line;
  // When set, the series is coloured on the panel's colour scale instead of by group (parallel
  // coordinates: one line per run coloured by the chosen metric).
  std::optional<double> colour_value;
  std::vector<FigurePoint> points;
};

struct FigureAxis {
  std::string title;
  bool log = false;
  // Fixed ticks (value, label); empty: automatic. Parallel coordinates name their axes this way.
  std::vector<std::pair<double, std::string>> ticks;
  std::optional<double> min;
  std::optional<double> max;
};

// A vertical dashed line with a label (the smallest state size reaching 0.99, Based paper Fig. 2).
struct FigureMarker {
  double x = 0.0;
  std::string label;
};

// One vertical axis of a parallel-coordinates panel (at x = its index): every run sits at its position
// 0..1 on the axis (the panel's y), and the ticks say what those positions mean in the axis's own units.
struct FigureParallelAxis {
  std::string name;          // the configuration path, run field or metric
  bool categorical = false;  // text values (sorted categories) rather than numbers
  bool log = false;          // positions proportional to log10 of the value
  // (position 0..1, label): a few values along a numeric axis, every category of a categorical one.
  std::vector<std::pair<double, std::string>> ticks;
};

struct FigurePanel {
  std::string title;  // "Sequence Length: 64"
  FigureAxis x;
  FigureAxis y;
  std::vector<FigureSeries> series;
  std::vector<FigureMarker> markers;
  std::string colour_scale_title;  // non-empty when some series has a colour_value
  // Parallel coordinates: the axes, one per x = 0, 1, ...; empty for every other panel.
  std::vector<FigureParallelAxis> parallel_axes;
};

// A pivot table: a header row and rows of cells; empty cells are "".
struct FigureTable {
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

// Runs compare only with runs of the same task definition: the same data, vocabulary and training budget,
// everything but what the dashboard plots and chooses over (docs/architecture.md#a-dashboard).
struct FigureTaskDefinition {
  std::string key;    // DashboardOptions::task_definition selects it
  std::string label;  // "mqar L=64 kv=4 V=8192, 64 epochs"
  int64_t runs = 0;   // runs of this definition that took part
};

struct Figure {
  std::string name;                  // dashboard name, "accuracy-vs-width"
  std::string title;                 // "MQAR accuracy vs model width (Zoology Fig. 2)"
  std::vector<FigurePanel> panels;   // laid out in a row, left to right
  std::optional<FigureTable> table;  // set for table dashboards (then panels is empty)
  // What was left out and why ("3 runs have no valid/accuracy yet"), shown under the figure.
  std::vector<std::string> notes;
  // The task definitions present among the runs, and the key of the one plotted (empty where the
  // dashboard does not separate them: parallel coordinates, pivot table).
  std::vector<FigureTaskDefinition> task_definitions;
  std::string task_definition;
};

// Every point as one CSV row: panel,series,group,style,x,y,run_id,label,n,mean,std,min,max,error_low,
// error_high,run_ids (RFC 4180 quoting, full precision; a point of one run has n 1 and its value as
// mean, min, max and both error ends; reference values have n 0 and empty statistics; run_ids separated
// by spaces); a table figure is written as its own header and rows.
std::string figure_to_csv(const Figure& figure);

// The figure as JSON (`zoolab-cli dashboard --json`): {name, title, notes, task_definitions: [{key,
// label, runs}], task_definition, panels: [{title, x, y, markers, series: [{name, group, style, points:
// [{x, y, run_id, label, runs, and with a spread: n, mean, std, min, max, error_low, error_high}]}]}],
// table}.
nlohmann::json figure_to_json(const Figure& figure);

}  // namespace zoolab
