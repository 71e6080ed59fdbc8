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

// The largest number of categories named along an axis; more are thinned to every k-th, so the labels
// never overlap into a grey block.
constexpr size_t kMaxCategoryTicks = 12;
// About this many values along a numeric axis.
constexpr int kNumericTicks = 5;

// Round values between low and high, about `count` of them, at 1, 2 or 5 times a power of ten (whole
// numbers only when every value is whole: seeds and layer counts have no 5.5).
std::vector<double> nice_values(double low, double high, int count, bool whole) {
  const double raw = (high - low) / count;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude;
  for (const double factor : {1.0, 2.0, 5.0, 10.0}) {
    step = factor * magnitude;
    if (step >= raw) {
      break;
    }
  }
  if (whole) {
    step = std::max(step, 1.0);
  }
  std::vector<double> values;
  for (double v = std::ceil(low / step - 1e-9) * step; v <= high + step * 1e-9; v += step) {
    values.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);  // no "-0" or "1e-17" at zero
  }
  return values;
}

// Every run's position 0..1 on the axis, in the axis's own scale, and ticks naming those positions in
// the axis's units: numbers linear (log when all are positive and span at least two decades), anything
// else (text, booleans, a run without the value) as categories in sorted order.
std::vector<double> normalise(const Axis& axis, FigureParallelAxis& out_axis) {
  out_axis.name = axis.name;
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
    out_axis.log = log;
    const auto scale = [log](double v) { return log ? std::log10(v) : v; };
    const double span = scale(*high) - scale(*low);
    for (size_t i = 0; i < numbers.size(); ++i) {
      out[i] = span > 0 ? (scale(numbers[i]) - scale(*low)) / span : 0.5;
    }
    if (!(span > 0)) {
      out_axis.ticks.emplace_back(0.5, format_value(*low));
      return out;
    }
    std::vector<double> values;
    if (log) {
      for (double e = std::ceil(scale(*low) - 1e-9); e <= scale(*high) + 1e-9; e += 1.0) {
        values.push_back(std::pow(10.0, e));
      }
    } else {
      const bool whole =
          std::all_of(numbers.begin(), numbers.end(), [](double v) { return v == std::floor(v); });
      values = nice_values(*low, *high, kNumericTicks, whole);
    }
    if (values.size() < 2) {  // nothing round in between: name the ends
      values = {*low, *high};
    }
    for (const double v : values) {
      out_axis.ticks.emplace_back((scale(v) - scale(*low)) / span, format_value(v));
    }
    return out;
  }
  out_axis.categorical = true;
  std::vector<std::string> texts;
  for (const auto& value : axis.values) {
    texts.push_back(value ? scalar_text(*value) : "(none)");
  }
  std::vector<std::string> categories = texts;
  std::sort(categories.begin(), categories.end());
  categories.erase(std::unique(categories.begin(), categories.end()), categories.end());
  const auto position = [&](size_t index) {
    return categories.size() > 1 ? static_cast<double>(index) / static_cast<double>(categories.size() - 1)
                                 : 0.5;
  };
  for (size_t i = 0; i < texts.size(); ++i) {
    out[i] = position(std::lower_bound(categories.begin(), categories.end(), texts[i]) - categories.begin());
  }
  const size_t every = (categories.size() + kMaxCategoryTicks - 1) / kMaxCategoryTicks;
  for (size_t c = 0; c < categories.size(); c += std::max<size_t>(every, 1)) {
    out_axis.ticks.emplace_back(position(c), categories[c]);
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
  // No panel title: the figure's title is the only one (the panel would repeat it).
  panel.x.title = "Configuration value";  // the ticks name each axis
  panel.y.title = "Position on each axis (its ticks give the values)";
  panel.y.min = 0.0;
  panel.y.max = 1.0;
  panel.x.min = -0.25;
  panel.x.max = static_cast<double>(axes.size()) - 0.6;  // room for the last axis's value labels
  for (size_t a = 0; a < axes.size(); ++a) {
    panel.x.ticks.emplace_back(static_cast<double>(a), axes[a].name);
  }
  panel.colour_scale_title = options.metric;
  std::vector<std::vector<double>> positions;
  for (const auto& axis : axes) {
    panel.parallel_axes.emplace_back();
    positions.push_back(normalise(axis, panel.parallel_axes.back()));
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
