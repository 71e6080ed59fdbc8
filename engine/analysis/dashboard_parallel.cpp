// Parallel coordinates: one axis per configuration value that differs between the runs (or the chosen
// ones) and the metric last; each run a line coloured by its metric value.

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>

#include "engine/analysis/dashboard_support.h"

namespace zoolab::dashboard {

namespace {

using nlohmann::json;

// Identifying text rather than a setting: every run differs there, an axis would say nothing.
bool is_identity(const std::string& path) {
  return path == "name" || path == "description";
}

struct Axis {
  std::string name;
  std::vector<std::optional<json>> values;  // per run
};

// Positions 0..1 of every run on the axis, in the axis's own scale: numbers linear (log when all are
// positive and span at least two decades), anything else (text, booleans, a run without the value) as
// categories in sorted order.
std::vector<double> normalise(const Axis& axis) {
  const bool numeric = std::all_of(axis.values.begin(), axis.values.end(),
                                   [](const std::optional<json>& v) { return v && v->is_number(); });
  std::vector<double> out(axis.values.size(), 0.5);
  if (numeric && !axis.values.empty()) {
    std::vector<double> numbers;
    for (const auto& value : axis.values) {
      numbers.push_back(value->get<double>());
    }
    const auto [low, high] = std::minmax_element(numbers.begin(), numbers.end());
    const bool log = *low > 0 && *high / *low >= 100;
    const auto scale = [log](double v) { return log ? std::log10(v) : v; };
    const double span = scale(*high) - scale(*low);
    for (size_t i = 0; i < numbers.size(); ++i) {
      out[i] = span > 0 ? (scale(numbers[i]) - scale(*low)) / span : 0.5;
    }
    return out;
  }
  std::vector<std::string> texts;
  for (const auto& value : axis.values) {
    texts.push_back(value ? scalar_text(*value) : "(none)");
  }
  std::vector<std::string> categories = texts;
  std::sort(categories.begin(), categories.end());
  categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
  for (size_t i = 0; i < texts.size(); ++i) {
    const size_t index =
        std::lower_bound(categories.begin(), categories.end(), texts[i]) - categories.begin();
    out[i] =
        categories.size() > 1 ? static_cast<double>(index) / static_cast<double>(categories.size() - 1) : 0.5;
  }
  return out;
}

}  // namespace

void parallel_coordinates(Figure& figure, const Selection& selection, const DashboardOptions& options) {
  std::vector<RunValue> runs = selection.runs;
  std::sort(runs.begin(), runs.end(),
            [](const RunValue& a, const RunValue& b) { return a.run->run.id < b.run->run.id; });

  std::vector<Axis> axes;
  if (options.dimensions.empty()) {
    std::map<std::string, std::set<std::string>> seen;  // path -> distinct values
    std::map<std::string, size_t> present;
    for (const auto& run : runs) {
      for (const auto& [path, value] : flatten_config(run.run->config)) {
        if (!is_identity(path)) {
          seen[path].insert(value.dump());
          ++present[path];
        }
      }
    }
    for (const auto& [path, values] : seen) {
      if (values.size() > 1 || present[path] < runs.size()) {
        axes.push_back({path, {}});
      }
    }
  } else {
    for (const auto& dimension : options.dimensions) {
      const bool somewhere = std::any_of(runs.begin(), runs.end(), [&](const RunValue& run) {
        return key_value(*run.run, dimension).has_value();
      });
      if (!runs.empty() && !somewhere && !is_run_field(dimension)) {
        throw std::invalid_argument(
            "parallel-coordinates dimension \"" + dimension + "\" is not a value of any of the " +
            std::to_string(runs.size()) +
            " runs; use mixer, sweep, status or a dotted configuration path of a scalar such as "
            "model.d_model, train.learning_rate or data.train.0.input_seq_len");
      }
      axes.push_back({dimension, {}});
    }
  }
  for (auto& axis : axes) {
    for (const auto& run : runs) {
      axis.values.push_back(key_value(*run.run, axis.name));
    }
  }
  Axis metric{options.metric, {}};
  for (const auto& run : runs) {
    metric.values.push_back(json(run.value));
  }
  axes.push_back(std::move(metric));

  FigurePanel panel;
  panel.title = figure.title;
  panel.x.title = "Configuration value";  // the ticks name each axis
  panel.y.title = "Normalised value";
  panel.y.min = 0.0;
  panel.y.max = 1.0;
  panel.x.min = -0.25;
  panel.x.max = static_cast<double>(axes.size()) - 0.75;
  for (size_t a = 0; a < axes.size(); ++a) {
    panel.x.ticks.emplace_back(static_cast<double>(a), axes[a].name);
  }
  panel.colour_scale_title = options.metric;
  std::vector<std::vector<double>> positions;
  for (const auto& axis : axes) {
    positions.push_back(normalise(axis));
  }
  for (size_t r = 0; r < runs.size(); ++r) {
    FigureSeries series;
    series.name = "run " + std::to_string(runs[r].run->run.id) + " " + runs[r].run->run.name;
    series.group = runs[r].run->model;
    series.style = SeriesStyle::Line;
    series.colour_value = runs[r].value;
    for (size_t a = 0; a < axes.size(); ++a) {
      const auto& value = axes[a].values[r];
      const std::string text = !value                     ? "(none)"
                               : value->is_number_float() ? format_value(value->get<double>())
                                                          : scalar_text(*value);
      series.points.push_back(FigurePoint::of_run(static_cast<double>(a), positions[a][r],
                                                  runs[r].run->run.id, axes[a].name + " = " + text));
    }
    panel.series.push_back(std::move(series));
  }
  figure.panels.push_back(std::move(panel));
}

}  // namespace zoolab::dashboard
