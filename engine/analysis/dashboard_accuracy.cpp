// The accuracy dashboards: vs width (Zoology Fig. 2), vs state size (Based paper Fig. 2), vs parameters,
// and by slice (kv pairs, sequence length). Selection follows Zoology's plotting scripts
// (docs/reference.md#choosing-the-best-run): per plotted cell the run with the highest value wins.

#include <cmath>
#include <map>
#include <set>
#include <string>

#include "engine/analysis/dashboard_support.h"
#include "engine/analysis/paper_reference.h"

namespace zoolab::dashboard {

namespace {

// The best run of one plotted cell and how many runs competed for it (the learning rates, seeds, ...).
struct Cell {
  RunValue best;
  size_t competitors = 0;
};

void offer(Cell& cell, const RunValue& candidate, bool lower) {
  if (cell.competitors == 0 || better(candidate, cell.best, lower)) {
    cell.best = candidate;
  }
  ++cell.competitors;
}

std::string competed(size_t competitors) {
  return competitors == 1 ? " (the only run)" : " (best of " + std::to_string(competitors) + " runs)";
}

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

// One series per model of its cells' best runs, in x order; `detail` adds the x value to the label.
using CellsByModel = std::map<std::string, std::map<int64_t, Cell>>;

void add_model_series(FigurePanel& panel, const CellsByModel& cells, SeriesStyle style,
                      const DashboardOptions& options, const std::string& x_name) {
  for (const auto& [model, by_x] : cells) {
    FigureSeries series;
    series.name = model;
    series.group = model;
    series.style = style;
    for (const auto& [x, cell] : by_x) {
      series.points.push_back(FigurePoint::of_run(static_cast<double>(x), cell.best.value,
                                                  cell.best.run->run.id,
                                                  describe_run(cell.best, options) + ", " + x_name + " " +
                                                      std::to_string(x) + competed(cell.competitors)));
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

// Best run per (model, x) over the runs for which x_of gives a positive x; the rest are counted.
template <typename XOf>
CellsByModel best_by_model_and_x(const Selection& selection, const DashboardOptions& options, XOf x_of,
                                 size_t& without_x) {
  const bool lower = lower_wins(options);
  CellsByModel cells;
  for (const auto& candidate : selection.runs) {
    const int64_t x = x_of(*candidate.run);
    if (x <= 0) {
      ++without_x;
      continue;
    }
    offer(cells[candidate.run->model][x], candidate, lower);
  }
  return cells;
}

}  // namespace

void accuracy_vs_width(Figure& figure, const Selection& selection, const DashboardOptions& options) {
  const bool lower = lower_wins(options);
  std::map<int64_t, CellsByModel> panels;  // seq_len -> model -> d_model -> cell
  size_t without_shape = 0;
  for (const auto& candidate : selection.runs) {
    const RunFacts& run = *candidate.run;
    if (run.d_model <= 0 || run.seq_len <= 0) {
      ++without_shape;
      continue;
    }
    offer(panels[run.seq_len][run.model][run.d_model], candidate, lower);
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
  const CellsByModel cells = best_by_model_and_x(
      selection, options, [](const RunFacts& run) { return run.run.state_size; }, without_state);
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
    std::optional<int64_t> smallest;
    for (const auto& [model, by_x] : cells) {
      for (const auto& [x, cell] : by_x) {
        if (cell.best.value >= 0.99 && (!smallest || x < *smallest)) {
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
  const CellsByModel cells = best_by_model_and_x(
      selection, options, [](const RunFacts& run) { return run.run.num_parameters; }, without_count);
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
  struct Choice {
    RunValue best;
    std::map<int64_t, std::pair<double, std::string>> slices;  // slice value -> (metric value, key)
  };
  std::map<std::string, Choice> by_model;
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
    auto found = by_model.find(candidate.run->model);
    if (found == by_model.end() || better(candidate, found->second.best, lower)) {
      by_model[candidate.run->model] = {candidate, std::move(slices)};
    }
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
  for (const auto& [model, choice] : by_model) {
    FigureSeries series;
    series.name = model + " (run " + std::to_string(choice.best.run->run.id) + ")";
    series.group = model;
    for (const auto& [x, value_key] : choice.slices) {
      series.points.push_back(FigurePoint::of_run(
          static_cast<double>(x), value_key.first, choice.best.run->run.id,
          describe_run(choice.best, options) + " (" + model + "'s best); " + options.aggregate + " " +
              value_key.second + " " + format_value(value_key.first)));
    }
    panel.series.push_back(std::move(series));
  }
  panel.x.ticks = ticks_at(xs_of(panel));
  figure.panels.push_back(std::move(panel));
}

}  // namespace zoolab::dashboard
