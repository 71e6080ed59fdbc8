#include "engine/analysis/figure.h"

#include <cstdio>

namespace zoolab {

namespace {

using nlohmann::json;

const char* style_name(SeriesStyle style) {
  switch (style) {
    case SeriesStyle::Line:
      return "line";
    case SeriesStyle::Scatter:
      return "scatter";
    case SeriesStyle::Reference:
      return "reference";
  }
  return "line";
}

// RFC 4180: a field holding a comma, a quote or a line break is quoted, its quotes doubled.
std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) {
    return text;
  }
  std::string out = "\"";
  for (char c : text) {
    out += c;
    if (c == '"') {
      out += '"';
    }
  }
  return out + "\"";
}

// 17 significant digits: strtod of the text gives back the same double, so the CSV holds exactly
// what was plotted.
std::string csv_number(double value) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", value);
  return text;
}

void append_row(std::string& out, const std::vector<std::string>& fields) {
  for (size_t i = 0; i < fields.size(); ++i) {
    out += (i == 0 ? "" : ",") + csv_field(fields[i]);
  }
  out += '\n';  // LF rather than RFC 4180's CRLF: friendlier to shell tools; CSV readers take both
}

json optional_number(const std::optional<double>& value) {
  return value ? json(*value) : json();
}

json axis_to_json(const FigureAxis& axis) {
  json ticks = json::array();
  for (const auto& [value, label] : axis.ticks) {
    ticks.push_back({{"value", value}, {"label", label}});
  }
  return {{"title", axis.title},
          {"log", axis.log},
          {"ticks", ticks},
          {"min", optional_number(axis.min)},
          {"max", optional_number(axis.max)}};
}

}  // namespace

FigurePoint FigurePoint::of_run(double x, double y, int64_t run_id, std::string label) {
  FigurePoint point;
  point.x = x;
  point.y = y;
  point.run_id = run_id;
  point.label = std::move(label);
  point.run_ids = {run_id};
  return point;
}

FigurePoint FigurePoint::reference(double x, double y, std::string label) {
  FigurePoint point;
  point.x = x;
  point.y = y;
  point.label = std::move(label);
  return point;
}

std::string figure_to_csv(const Figure& figure) {
  std::string out;
  if (figure.table) {
    append_row(out, figure.table->columns);
    for (const auto& row : figure.table->rows) {
      append_row(out, row);
    }
    return out;
  }
  append_row(out, {"panel", "series", "group", "style", "x", "y", "run_id", "label", "n", "mean", "std",
                   "min", "max", "error_low", "error_high", "run_ids"});
  for (const auto& panel : figure.panels) {
    for (const auto& series : panel.series) {
      for (const auto& point : series.points) {
        std::vector<std::string> row = {panel.title,
                                        series.name,
                                        series.group,
                                        style_name(series.style),
                                        csv_number(point.x),
                                        csv_number(point.y),
                                        std::to_string(point.run_id),
                                        point.label};
        // A point of one run is a group of one: n = 1, its value as mean, min and max, no spread.
        const FigureSpread spread = point.spread.value_or(
            FigureSpread{point.run_ids.empty() ? 0 : 1, point.y, 0.0, point.y, point.y, point.y, point.y});
        row.push_back(std::to_string(spread.n));
        for (const double value :
             {spread.mean, spread.std, spread.min, spread.max, spread.low, spread.high}) {
          row.push_back(spread.n == 0 ? "" : csv_number(value));
        }
        std::string ids;
        for (const int64_t id : point.run_ids) {
          ids += (ids.empty() ? "" : " ") + std::to_string(id);
        }
        row.push_back(ids);
        append_row(out, row);
      }
    }
  }
  return out;
}

json figure_to_json(const Figure& figure) {
  json panels = json::array();
  for (const auto& panel : figure.panels) {
    json markers = json::array();
    for (const auto& marker : panel.markers) {
      markers.push_back({{"x", marker.x}, {"label", marker.label}});
    }
    json series_list = json::array();
    for (const auto& series : panel.series) {
      json points = json::array();
      for (const auto& point : series.points) {
        json entry = {{"x", point.x},
                      {"y", point.y},
                      {"run_id", point.run_id},
                      {"label", point.label},
                      {"runs", point.run_ids}};
        if (point.spread) {
          const FigureSpread& spread = *point.spread;
          entry.update({{"n", spread.n},
                        {"mean", spread.mean},
                        {"std", spread.std},
                        {"min", spread.min},
                        {"max", spread.max},
                        {"error_low", spread.low},
                        {"error_high", spread.high}});
        }
        points.push_back(std::move(entry));
      }
      series_list.push_back({{"name", series.name},
                             {"group", series.group},
                             {"style", style_name(series.style)},
                             {"colour_value", optional_number(series.colour_value)},
                             {"points", points}});
    }
    panels.push_back({{"title", panel.title},
                      {"x", axis_to_json(panel.x)},
                      {"y", axis_to_json(panel.y)},
                      {"markers", markers},
                      {"colour_scale_title", panel.colour_scale_title},
                      {"series", series_list}});
    if (!panel.parallel_axes.empty()) {
      json axes = json::array();
      for (const auto& axis : panel.parallel_axes) {
        json ticks = json::array();
        for (const auto& [position, label] : axis.ticks) {
          ticks.push_back({{"position", position}, {"label", label}});
        }
        axes.push_back(
            {{"name", axis.name}, {"categorical", axis.categorical}, {"log", axis.log}, {"ticks", ticks}});
      }
      panels.back()["parallel_axes"] = axes;
    }
  }
  json table;  // null for plot figures
  if (figure.table) {
    table = {{"columns", figure.table->columns}, {"rows", figure.table->rows}};
  }
  json definitions = json::array();
  for (const auto& definition : figure.task_definitions) {
    definitions.push_back({{"key", definition.key}, {"label", definition.label}, {"runs", definition.runs}});
  }
  return {{"name", figure.name},
          {"title", figure.title},
          {"notes", figure.notes},
          {"task_definitions", definitions},
          {"task_definition", figure.task_definition},
          {"panels", panels},
          {"table", table}};
}

}  // namespace zoolab
