// The pivot table: the metric's run values grouped by two keys (rows, columns), one cell each.

#include <algorithm>
#include <map>
#include <numeric>
#include <stdexcept>

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

}  // namespace

void pivot_table(Figure& figure, const Selection& selection, const DashboardOptions& options) {
  if (options.cell != "best" && options.cell != "mean" && options.cell != "last") {
    throw std::invalid_argument(
        "pivot-table option cell: \"" + options.cell +
        "\" is not one of best, mean, last (the best, mean or newest run value of a cell)");
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
  for (const auto& row : sorted_unique(row_of)) {
    std::vector<std::string> line = {row};
    for (const auto& column : columns) {
      const auto found = cells.find({row, column});
      if (found == cells.end()) {
        line.emplace_back();
        continue;
      }
      const auto& members = found->second;
      double value = 0.0;
      if (options.cell == "mean") {
        value = std::accumulate(members.begin(), members.end(), 0.0,
                                [](double sum, const RunValue& run) { return sum + run.value; }) /
                static_cast<double>(members.size());
      } else if (options.cell == "best") {
        value =
            std::min_element(members.begin(), members.end(), [lower](const RunValue& a, const RunValue& b) {
              return better(a, b, lower);
            })->value;
      } else {  // the newest run: run ids increase with creation
        value = std::max_element(members.begin(), members.end(), [](const RunValue& a, const RunValue& b) {
                  return a.run->run.id < b.run->run.id;
                })->value;
      }
      line.push_back(format_value(value));
    }
    table.rows.push_back(std::move(line));
  }
  figure.table = std::move(table);
}

}  // namespace zoolab::dashboard
