// The pivot table: the metric's run values grouped by two keys (rows, columns), one cell each.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <numeric>
#include <optional>
#include <stdexcept>

#include "engine/analysis/dashboard_groups.h"
#include "engine/analysis/dashboard_support.h"

namespace zoolab::dashboard {

namespace {

const char* const kNone = "(none)";

// Each run's text for `key`; throws when runs exist and none of them has a value there (a typo).
std::vector<std::string> key_texts(const std::vector<RunValue>& runs, const std::string& option,
                                   const std::string& key) {
  if (key.empty()) {
    throw std::invalid_argument("pivot-table option " + option +
                                " is empty; use mixer, sweep, status or a dotted configuration path such as "
                                "model.d_model");
  }
  std::vector<std::string> texts;
  bool somewhere = false;
  for (const auto& run : runs) {
    const auto value = key_value(*run.run, key);
    somewhere = somewhere || value.has_value();
    texts.push_back(value ? scalar_text(*value) : kNone);
  }
  if (!runs.empty() && !somewhere && !is_run_field(key)) {
    throw std::invalid_argument(
        "pivot-table option " + option + ": \"" + key + "\" is not a value of any of the " +
        std::to_string(runs.size()) +
        " runs; use mixer, sweep, status or a dotted configuration path of a scalar such "
        "as model.d_model, train.learning_rate or data.train.0.input_seq_len");
  }
  return texts;
}

std::vector<std::string> sorted_unique(std::vector<std::string> texts) {
  std::sort(texts.begin(), texts.end(), category_less);
  texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
  return texts;
}

// One number format for the whole table, so a column reads "0.2600" above "0.2602", not "0.26": four
// decimals for accuracies (0..1), else fixed decimals giving the largest magnitude 4 significant digits,
// or scientific notation for all when the values are huge or tiny.
struct CellFormat {
  bool scientific = false;
  int decimals = 4;
  std::string operator()(double value) const {
    char text[48];
    std::snprintf(text, sizeof(text), scientific ? "%.*e" : "%.*f", scientific ? 3 : decimals, value);
    return text;
  }
};

CellFormat format_for(const std::string& metric, const std::vector<double>& values) {
  CellFormat format;
  double largest = 0.0;
  for (const double value : values) {
    if (std::isfinite(value)) {
      largest = std::max(largest, std::fabs(value));
    }
  }
  if (metric.find("accuracy") != std::string::npos && largest <= 1.0) {
    return format;
  }
  if (largest >= 1e6 || (largest > 0.0 && largest < 1e-3)) {
    format.scientific = true;
    return format;
  }
  const int magnitude = largest > 0.0 ? static_cast<int>(std::floor(std::log10(largest))) : 0;
  format.decimals = std::clamp(3 - magnitude, 0, 6);
  return format;
}

// A cell's value, or a seed group's mean, std and size.
struct CellValue {
  double value = 0.0;
  std::optional<SpreadStats> group;
};

}  // namespace

void pivot_table(Figure& figure, const Selection& selection, const DashboardOptions& options) {
  if (options.cell != "best" && options.cell != "mean" && options.cell != "last" && options.cell != "group") {
    throw std::invalid_argument(
        "pivot-table option cell: \"" + options.cell +
        "\" is not one of best, mean, last, group (the best, mean or newest run value "
        "of a cell, or its best seed group as mean ± std (n))");
  }
  const auto& runs = selection.runs;
  const std::vector<std::string> row_of = key_texts(runs, "rows", options.rows);
  const std::vector<std::string> column_of = key_texts(runs, "columns", options.columns);
  std::map<std::pair<std::string, std::string>, std::vector<RunValue>> cells;
  for (size_t i = 0; i < runs.size(); ++i) {
    cells[{row_of[i], column_of[i]}].push_back(runs[i]);
  }
  const bool lower = lower_wins(options);
  FigureTable table;
  table.columns.push_back(options.rows + " \\ " + options.columns);
  const std::vector<std::string> columns = sorted_unique(column_of);
  table.columns.insert(table.columns.end(), columns.begin(), columns.end());
  std::vector<std::string> row_keys = sorted_unique(row_of);
  std::map<std::pair<std::string, std::string>, CellValue> values;
  std::vector<double> shown;  // every number the table prints, for its format
  for (const auto& [where, members] : cells) {
    CellValue cell;
    if (options.cell == "mean") {
      cell.value = std::accumulate(members.begin(), members.end(), 0.0,
                                   [](double sum, const RunValue& run) { return sum + run.value; }) /
                   static_cast<double>(members.size());
    } else if (options.cell == "best") {
      cell.value =
          std::min_element(members.begin(), members.end(), [lower](const RunValue& a, const RunValue& b) {
            return better(a, b, lower);
          })->value;
    } else if (options.cell == "last") {  // the newest run: run ids increase with creation
      cell.value = std::max_element(members.begin(), members.end(), [](const RunValue& a, const RunValue& b) {
                     return a.run->run.id < b.run->run.id;
                   })->value;
    } else {  // the best seed group by its mean, as the accuracy dashboards choose a point
      const std::vector<RunGroup> groups = group_by_seed(members, lower);
      const RunGroup* best = &groups.front();
      for (const auto& group : groups) {
        if (better_group(group, *best, lower)) {
          best = &group;
        }
      }
      cell.value = best->stats.mean;
      cell.group = best->stats;
      shown.push_back(best->stats.std);
    }
    shown.push_back(cell.value);
    values[where] = cell;
  }
  const CellFormat format = format_for(options.metric, shown);
  for (const auto& row : row_keys) {
    std::vector<std::string> line = {row};
    for (const auto& column : columns) {
      const auto found = values.find({row, column});
      if (found == values.end()) {
        line.emplace_back();
      } else if (!found->second.group) {
        line.push_back(format(found->second.value));
      } else {
        // "0.9512 ± 0.0213 (3)"; a group of one has no spread to show: "0.9512 (1)".
        const SpreadStats& stats = *found->second.group;
        line.push_back(format(stats.mean) + (stats.n > 1 ? " ± " + format(stats.std) : std::string()) + " (" +
                       std::to_string(stats.n) + ")");
      }
    }
    table.rows.push_back(std::move(line));
  }
  figure.table = std::move(table);
}

}  // namespace zoolab::dashboard
