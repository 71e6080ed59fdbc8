// The accuracy dashboards: vs width (Zoology Fig. 2), vs state size (Based paper Fig. 2), vs parameters,
// and by slice (kv pairs, sequence length). Selection follows Zoology's plotting scripts
// (docs/reference.md#choosing-the-best-run): per plotted cell the run with the highest value wins, where
// runs repeating one setting over seeds compete as one group by their mean (dashboard_groups.h).

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "engine/analysis/dashboard_groups.h"
#include "engine/analysis/dashboard_support.h"
#include "engine/analysis/paper_reference.h"

namespace zoolab::dashboard {

namespace {

// The runs of one plotted cell; resolved into the best seed group over the other settings (learning
// rates, ...) by its mean.
struct Cell {
  std::vector<RunValue> runs;
};

void offer(Cell& cell, const RunValue& candidate) {
  cell.runs.push_back(candidate);
}

struct Choice {
  RunGroup best;
  size_t groups = 0;
  size_t runs = 0;
};

Choice choose(const Cell& cell, bool lower) {
  const std::vector<RunGroup> groups = group_by_seed(cell.runs, lower);
  Choice choice;
  choice.best = groups.front();
  for (const auto& group : groups) {
    if (better_group(group, choice.best, lower)) {
      choice.best = group;
    }
  }
  choice.groups = groups.size();
  choice.runs = cell.runs.size();
  return choice;
}

// "(the only run)", "(best of 4 runs)" when every group is one run; else "(best of 3 settings, 9 runs)".
std::string competed(const Choice& choice) {
  if (choice.runs == 1) {
    return " (the only run)";
  }
  if (choice.groups == choice.runs) {
    return " (best of " + std::to_string(choice.runs) + " runs)";
  }
  return " (best of " + std::to_string(choice.groups) + (choice.groups == 1 ? " setting, " : " settings, ") +
         std::to_string(choice.runs) + " runs)";
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// One series per model of its cells' best groups, in x order; the label adds the x value.
using CellsByModel = std::map<std::string, std::map<int64_t, Cell>>;

void add_model_series(FigurePanel& panel, const CellsByModel& cells, SeriesStyle style,
                      const DashboardOptions& options, const std::string& x_name) {
  const bool lower = lower_wins(options);
  for (const auto& [model, by_x] : cells) {
    FigureSeries series;
    series.name = model;
    series.group = model;
    series.style = style;
    for (const auto& [x, cell] : by_x) {
      const Choice choice = choose(cell, lower);
      series.points.push_back(group_point(static_cast<double>(x), choice.best, choice.best.stats, options,
                                          describe_group(choice.best, choice.best.stats, options) + ", " +
                                              x_name + " " + std::to_string(x) + competed(choice)));
    }
    panel.series.push_back(std::move(series));
  }
}

std::vector<double> xs_of(const FigurePanel& panel) {
  std::set<double> xs;
  for (const auto& series : panel.series) {
    for (const auto& point : series.points) {
      xs.insert(point.x);
    }
  }
  return {xs.begin(), xs.end()};
}

// The runs per (model, x) for which x_of gives a positive x; the rest are counted.
template <typename XOf>
CellsByModel cells_by_model_and_x(const Selection& selection, XOf x_of, size_t& without_x) {
  CellsByModel cells;
  for (const auto& candidate : selection.runs) {
    const int64_t x = x_of(*candidate.run);
    if (x <= 0) {
      ++without_x;
      continue;
    }
    offer(cells[candidate.run->model][x], candidate);
  }
  return cells;
}

}  // namespace

void accuracy_vs_width(Figure& figure, const Selection& selection, const DashboardOptions& options) {
  std::map<int64_t, CellsByModel> panels;  // seq_len -> model -> d_model -> cell
  size_t without_shape = 0;
  for (const auto& candidate : selection.runs) {
    const RunFacts& run = *candidate.run;
    if (run.d_model <= 0 || run.seq_len <= 0) {
      ++without_shape;
      continue;
    }
    offer(panels[run.seq_len][run.model][run.d_model], candidate);
  }
  if (without_shape > 0) {
    figure.notes.push_back(plural(without_shape, "run has", "runs have") +
                           " no model.d_model or data.train input_seq_len in its configuration");
  }

  // The paper's cells to pin: for the models we plot (all of them on an empty figure, which then shows
  // Zoology Fig. 2 alone), in the panels whose sequence length the paper has.
  std::map<int64_t, std::map<std::string, std::vector<PaperAccuracy>>> paper;
  if (options.pin_paper) {
    std::set<std::string> ours;
    for (const auto& [seq_len, cells] : panels) {
      for (const auto& [model, unused] : cells) {
        ours.insert(model);
      }
    }
    const bool empty = panels.empty();
    for (const auto& cell : zoology_figure2()) {
      if ((empty || ours.count(cell.mixer)) && (empty || panels.count(cell.seq_len))) {
        paper[cell.seq_len][cell.mixer].push_back(cell);
      }
    }
    for (const auto& [seq_len, unused] : paper) {
      panels[seq_len];  // an empty panel of ours holds the paper's lines
    }
    std::string missing;
    for (const auto& [seq_len, unused] : panels) {
      if (!paper.count(seq_len)) {
        missing += (missing.empty() ? "" : ", ") + std::to_string(seq_len);
      }
    }
    if (!missing.empty()) {
      figure.notes.push_back("Zoology Fig. 2 has no values at sequence length " + missing);
    }
  }

  for (const auto& [seq_len, cells] : panels) {
    FigurePanel panel;
    panel.title = "Sequence Length: " + std::to_string(seq_len);
    panel.x.title = "Model dimension (d_model)";
    panel.x.log = true;
    panel.y = metric_axis(options.metric);
    add_model_series(panel, cells, SeriesStyle::Line, options, "d_model");
    const auto found = paper.find(seq_len);
    if (found != paper.end()) {
      for (const auto& [model, values] : found->second) {
        FigureSeries series;
        series.name = model + " (paper)";
        series.group = model;
        series.style = SeriesStyle::Reference;
        for (const auto& value : values) {
          series.points.push_back(FigurePoint::reference(
              static_cast<double>(value.d_model), value.accuracy,
              "Zoology Fig. 2: " + model + ", sequence length " + std::to_string(value.seq_len) + " (" +
                  std::to_string(value.num_kv_pairs) + " kv pairs), d_model " +
                  std::to_string(value.d_model) + ": accuracy " + format_value(value.accuracy) +
                  " (read off the plot, ±0.03)"));
        }
        panel.series.push_back(std::move(series));
      }
    }
    panel.x.ticks = ticks_at(xs_of(panel));
    figure.panels.push_back(std::move(panel));
  }
}

void accuracy_vs_state_size(Figure& figure, const Selection& selection, const DashboardOptions& options) {
  size_t without_state = 0;
  const CellsByModel cells = cells_by_model_and_x(
      selection, [](const RunFacts& run) { return run.run.state_size; }, without_state);
  if (without_state > 0) {
    figure.notes.push_back(plural(without_state, "run has", "runs have") +
                           " no state size recorded (the trainer records it when it starts)");
  }
  FigurePanel panel;
  panel.title = figure.title;
  // Bytes, as Zoology logs it: 4 × the floats of every layer's recurrent state (docs/reference.md#state-size;
  // models/language_model.h).
  panel.x.title = "State size (bytes)";
  panel.x.log = true;
  panel.y = metric_axis(options.metric);
  add_model_series(panel, cells, SeriesStyle::Scatter, options, "state size (bytes)");
  if (!lower_wins(options)) {
    // A seed group reaches 0.99 when its mean (the plotted value) does.
    std::optional<int64_t> smallest;
    for (const auto& [model, by_x] : cells) {
      for (const auto& [x, cell] : by_x) {
        if (choose(cell, false).best.stats.mean >= 0.99 && (!smallest || x < *smallest)) {
          smallest = x;
        }
      }
    }
    if (smallest) {
      panel.markers.push_back(
          {static_cast<double>(*smallest), "smallest state reaching 0.99: " + std::to_string(*smallest)});
    }
  }
  if (options.pin_paper) {
    panel.markers.push_back({kBasedPaperSmallestStateReaching099Bytes,
                             "Based paper: smallest state reaching 0.99 ≈ " +
                                 format_value(kBasedPaperSmallestStateReaching099Bytes) + " bytes (paper)"});
  }
  figure.panels.push_back(std::move(panel));
}

void accuracy_vs_parameters(Figure& figure, const Selection& selection, const DashboardOptions& options) {
  size_t without_count = 0;
  const CellsByModel cells = cells_by_model_and_x(
      selection, [](const RunFacts& run) { return run.run.num_parameters; }, without_count);
  if (without_count > 0) {
    figure.notes.push_back(plural(without_count, "run has", "runs have") +
                           " no parameter count recorded (the trainer records it when it starts)");
  }
  FigurePanel panel;
  panel.title = figure.title;
  panel.x.title = "Parameters";
  panel.x.log = true;
  panel.y = metric_axis(options.metric);
  add_model_series(panel, cells, SeriesStyle::Line, options, "parameters");
  figure.panels.push_back(std::move(panel));
}

void accuracy_by_slice(Figure& figure, const Selection& selection, const DashboardOptions& options,
                       const std::string& slice, const std::string& x_title, bool log_x) {
  // engine/train/evaluation.cpp writes "valid/<slice>/accuracy-<value>" beside "valid/accuracy": the
  // slice key of a metric "P/NAME" is "P/<slice>/NAME-<value>".
  const size_t slash = options.metric.rfind('/');
  const std::string head = slash == std::string::npos ? "" : options.metric.substr(0, slash + 1);
  const std::string tail = slash == std::string::npos ? options.metric : options.metric.substr(slash + 1);
  const std::string prefix = head + slice + "/" + tail + "-";

  const bool lower = lower_wins(options);
  // Each run's slices: slice value -> (metric value, key).
  std::map<int64_t, std::map<int64_t, std::pair<double, std::string>>> slices_of;
  std::map<std::string, std::vector<RunValue>> by_model;
  size_t without_slices = 0;
  for (const auto& candidate : selection.runs) {
    std::map<int64_t, std::pair<double, std::string>> slices;
    for (const auto& [key, unused] : candidate.run->summaries) {
      if (key.compare(0, prefix.size(), prefix) != 0) {
        continue;
      }
      const std::string digits = key.substr(prefix.size());
      if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
        continue;
      }
      const double value = *summary_value(*candidate.run, key, options.aggregate);
      if (std::isfinite(value)) {
        slices[std::stoll(digits)] = {value, key};
      }
    }
    if (slices.empty()) {
      ++without_slices;
      continue;
    }
    slices_of[candidate.run->run.id] = std::move(slices);
    by_model[candidate.run->model].push_back(candidate);
  }
  if (without_slices > 0) {
    figure.notes.push_back(plural(without_slices, "run has", "runs have") + " no " + prefix +
                           "* metrics (add \"" + slice + "\" to train.slice_keys)");
  }
  FigurePanel panel;
  panel.title = figure.title;
  panel.x.title = x_title;
  panel.x.log = log_x;
  panel.y = metric_axis(options.metric);
  for (const auto& [model, runs] : by_model) {
    // The model's best seed group by its mean of the metric itself; each slice is then that group's
    // mean over the members that logged it.
    const std::vector<RunGroup> groups = group_by_seed(runs, lower);
    const RunGroup* best = &groups.front();
    for (const auto& group : groups) {
      if (better_group(group, *best, lower)) {
        best = &group;
      }
    }
    const int64_t best_id = best->best.run->run.id;
    std::map<int64_t, std::vector<double>> values;
    std::map<int64_t, std::string> keys;
    for (const auto& member : best->members) {
      for (const auto& [x, value_key] : slices_of.at(member.run->run.id)) {
        values[x].push_back(value_key.first);
        keys[x] = value_key.second;
      }
    }
    FigureSeries series;
    series.name = best->members.size() == 1 ? model + " (run " + std::to_string(best_id) + ")"
                                            : model + " (n=" + std::to_string(best->members.size()) +
                                                  ", best run " + std::to_string(best_id) + ")";
    series.group = model;
    for (const auto& [x, list] : values) {
      const SpreadStats stats = spread_of(list);
      const std::string what = options.aggregate + " " + keys[x] + " " + format_value(stats.mean);
      series.points.push_back(
          group_point(static_cast<double>(x), *best, stats, options,
                      describe_group(*best, best->stats, options) + " (" + model + "'s best); " +
                          (stats.n > 1 ? "mean " + what + " ± " + format_value(stats.std) + " over " +
                                             std::to_string(stats.n) + " runs"
                                       : what)));
    }
    panel.series.push_back(std::move(series));
  }
  panel.x.ticks = ticks_at(xs_of(panel));
  figure.panels.push_back(std::move(panel));
}

}  // namespace zoolab::dashboard
