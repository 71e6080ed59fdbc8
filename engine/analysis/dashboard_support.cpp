#include "engine/analysis/dashboard_support.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>

#include "engine/config/sweep_grid.h"
#include "engine/store/metric_summary.h"

namespace zoolab::dashboard {

namespace {

using nlohmann::json;

std::string count_runs(size_t n) {
  return std::to_string(n) + (n == 1 ? " run" : " runs");
}

const char* have(size_t n) {
  return n == 1 ? "has" : "have";
}

void flatten_into(const json& node, const std::string& prefix, std::map<std::string, json>& out) {
  if (node.is_object()) {
    for (const auto& [key, value] : node.items()) {
      flatten_into(value, prefix.empty() ? key : prefix + "." + key, out);
    }
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      flatten_into(node[i], prefix.empty() ? std::to_string(i) : prefix + "." + std::to_string(i), out);
    }
  } else if (!prefix.empty()) {
    out[prefix] = node;
  }
}

std::optional<double> as_number(const std::string& text) {
  if (text.empty()) {
    return std::nullopt;
  }
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace

bool is_text_run(const RunFacts& run) {
  const json* task = find_sweep_path(run.config, "data.task");
  return task != nullptr && task->is_string() && *task == "text";
}

Selection select_runs(const std::vector<RunFacts>& runs, const DashboardOptions& options, bool mqar_only) {
  if (options.aggregate != "last" && options.aggregate != "best") {
    throw std::invalid_argument("dashboard option aggregate: \"" + options.aggregate +
                                "\" is not one of last, best (the run's last or best value of the metric)");
  }
  Selection selection;
  size_t unfinished = 0;
  size_t missing = 0;
  size_t not_finite = 0;
  size_t text = 0;
  for (const auto& run : runs) {
    if (options.sweep_id && run.run.sweep_id != options.sweep_id) {
      continue;
    }
    if (mqar_only && is_text_run(run)) {
      ++text;
      continue;
    }
    if (!options.include_unfinished && run.run.status != RunStatus::Finished) {
      ++unfinished;
      continue;
    }
    const auto value = summary_value(run, options.metric, options.aggregate);
    if (!value) {
      ++missing;
    } else if (!std::isfinite(*value)) {
      ++not_finite;
    } else {
      selection.runs.push_back({&run, *value});
    }
  }
  if (text > 0) {
    selection.notes.push_back(count_runs(text) + " of language modelling (data.task \"text\") left out: " +
                              "these dashboards compare MQAR runs");
  }
  if (unfinished > 0) {
    selection.notes.push_back(count_runs(unfinished) +
                              " not finished left out (include unfinished runs to "
                              "show their latest values)");
  }
  if (missing > 0) {
    selection.notes.push_back(count_runs(missing) + " " + have(missing) + " no " + options.metric + " yet");
  }
  if (not_finite > 0) {
    selection.notes.push_back(count_runs(not_finite) + " " + have(not_finite) + " a non-finite " +
                              options.metric + " (diverged)");
  }
  return selection;
}

std::optional<double> summary_value(const RunFacts& run, const std::string& key,
                                    const std::string& aggregate) {
  const auto found = run.summaries.find(key);
  if (found == run.summaries.end()) {
    return std::nullopt;
  }
  return aggregate == "best" ? found->second.best : found->second.last;
}

bool lower_wins(const DashboardOptions& options) {
  return lower_is_better(options.metric);  // the store's rule for "best" (engine/store/metric_summary.h)
}

bool better(const RunValue& a, const RunValue& b, bool lower_wins) {
  if (a.value != b.value) {
    return lower_wins ? a.value < b.value : a.value > b.value;
  }
  return a.run->run.id < b.run->run.id;
}

std::string format_value(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.4g", value);
  return text;
}

FigureAxis metric_axis(const std::string& metric) {
  FigureAxis axis;
  axis.title = metric == "valid/accuracy" ? "Accuracy" : metric;
  if (metric.find("accuracy") != std::string::npos) {
    axis.min = 0.0;
    axis.max = 1.0;
  }
  return axis;
}

std::vector<std::pair<double, std::string>> ticks_at(const std::vector<double>& values) {
  std::vector<std::pair<double, std::string>> ticks;
  for (double value : values) {
    const bool integral = std::floor(value) == value && std::fabs(value) < 1e15;
    ticks.emplace_back(value, integral ? std::to_string(static_cast<int64_t>(value)) : format_value(value));
  }
  return ticks;
}

std::string describe_run(const RunValue& chosen, const DashboardOptions& options) {
  const RunFacts& run = *chosen.run;
  return "run " + std::to_string(run.run.id) + " \"" + run.run.name + "\": lr " +
         format_value(run.learning_rate) + ", " + options.aggregate + " " + options.metric + " " +
         format_value(chosen.value);
}

std::map<std::string, json> flatten_config(const json& config) {
  std::map<std::string, json> out;
  flatten_into(config, "", out);
  return out;
}

std::string scalar_text(const json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

bool is_run_field(const std::string& key) {
  return key == "mixer" || key == "sweep" || key == "status";
}

std::optional<json> key_value(const RunFacts& run, const std::string& key) {
  if (key == "mixer") {
    return json(run.model);
  }
  if (key == "sweep") {
    return run.sweep.empty() ? std::nullopt : std::optional<json>(run.sweep);
  }
  if (key == "status") {
    return json(to_string(run.run.status));
  }
  // The sweep's path lookup, so a pivot key is spelled as in sweep files ("data.train.0.input_seq_len").
  const json* found = find_sweep_path(run.config, key);
  if (found != nullptr && found->is_structured()) {
    found = nullptr;  // a scalar is a category; an object or list is not
  }
  return found ? std::optional<json>(*found) : std::nullopt;
}

bool category_less(const std::string& a, const std::string& b) {
  const auto x = as_number(a);
  const auto y = as_number(b);
  if (x && y && *x != *y) {
    return *x < *y;
  }
  if (x.has_value() != y.has_value()) {
    return x.has_value();  // numbers before words
  }
  return a < b;
}

}  // namespace zoolab::dashboard
