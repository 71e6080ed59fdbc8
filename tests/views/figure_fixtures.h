#pragma once

// Hand-made Figures for the figure view and export tests: the shape of Zoology's Fig. 2 (panels per
// sequence length, log x, a line per mixer, the paper's values pinned), with values chosen so that every
// point is distinguishable.

#include <string>
#include <vector>

#include "engine/analysis/figure.h"

namespace zoolab::testing {

inline FigurePoint makeFigurePoint(double x, double y, int64_t runId, const std::string& label) {
  FigurePoint point;
  point.x = x;
  point.y = y;
  point.run_id = runId;
  point.label = label;
  return point;
}

inline FigureSeries makeFigureSeries(const std::string& name, const std::string& group, SeriesStyle style,
                                     std::vector<FigurePoint> points) {
  FigureSeries series;
  series.name = name;
  series.group = group;
  series.style = style;
  series.points = std::move(points);
  return series;
}

// Two panels (sequence lengths 64 and 256), x = d_model on a log axis, y = accuracy. "attention" and
// "based" are lines in both panels (the first with its points out of x order, as an engine may emit
// them), the paper's attention values a dashed reference in the first, and the second panel has a marker.
inline Figure widthFigure() {
  Figure figure;
  figure.name = "accuracy-vs-width";
  figure.title = "MQAR accuracy vs model width";
  figure.notes = {"2 runs have no valid/accuracy yet"};
  int64_t run = 1;
  for (const int seqLen : {64, 256}) {
    FigurePanel panel;
    panel.title = "Sequence Length: " + std::to_string(seqLen);
    panel.x.title = "Model dimension";
    panel.x.log = true;
    panel.y.title = "Accuracy";
    panel.y.min = 0.0;
    panel.y.max = 1.0;
    const double shift = seqLen == 64 ? 0.0 : -0.1;
    std::vector<FigurePoint> attention;
    for (const int width : {256, 64, 512, 128}) {  // out of order on purpose
      attention.push_back(
          makeFigurePoint(width, 0.6 + width / 1500.0 + shift, run,
                          "run " + std::to_string(run) + " attention d" + std::to_string(width)));
      ++run;
    }
    panel.series.push_back(makeFigureSeries("attention", "attention", SeriesStyle::Line, attention));
    std::vector<FigurePoint> based;
    for (const int width : {64, 128, 256}) {
      based.push_back(makeFigurePoint(width, 0.3 + width / 700.0 + shift, run,
                                      "run " + std::to_string(run) + " based d" + std::to_string(width)));
      ++run;
    }
    panel.series.push_back(makeFigureSeries("based", "based", SeriesStyle::Line, based));
    if (seqLen == 64) {
      panel.series.push_back(makeFigureSeries("attention (paper)", "attention", SeriesStyle::Reference,
                                              {makeFigurePoint(64, 0.95, 0, "Zoology Fig. 2: 0.95"),
                                               makeFigurePoint(128, 0.97, 0, "Zoology Fig. 2: 0.97"),
                                               makeFigurePoint(256, 0.99, 0, "Zoology Fig. 2: 0.99")}));
    } else {
      FigureMarker marker;
      marker.x = 128;
      marker.label = "0.99 at 128";
      panel.markers.push_back(marker);
    }
    figure.panels.push_back(panel);
  }
  return figure;
}

// widthFigure with seed groups: the first panel's attention points at d64 and d256 each stand for three
// runs (their error bars from low to high), and the others for one run each.
inline Figure spreadFigure() {
  Figure figure = widthFigure();
  for (FigurePoint& point : figure.panels[0].series[0].points) {
    if (point.x == 64 || point.x == 256) {
      FigureSpread spread;
      spread.n = 3;
      spread.mean = point.y;
      spread.std = 0.05;
      spread.min = point.y - 0.07;
      spread.max = point.y + 0.04;
      spread.low = point.y - 0.05;
      spread.high = point.y + 0.05;
      point.spread = spread;
      point.run_ids = {point.run_id, 100 + point.run_id, 200 + point.run_id};
    } else {
      point.run_ids = {point.run_id};
    }
  }
  return figure;
}

// Parallel coordinates of four runs over three axes ("width", "mixer", the metric), as the engine draws
// them: x = the axis index, y = the run's position 0..1 on it, ticks per axis in its own units.
inline Figure parallelFigure() {
  Figure figure;
  figure.name = "parallel-coordinates";
  figure.title = "Runs across settings";
  FigurePanel panel;
  panel.x.ticks = {{0.0, "width"}, {1.0, "mixer"}, {2.0, "valid/accuracy"}};
  panel.x.min = -0.25;
  panel.x.max = 2.4;
  panel.y.min = 0.0;
  panel.y.max = 1.0;
  panel.colour_scale_title = "valid/accuracy";
  FigureParallelAxis width;
  width.name = "width";
  width.ticks = {{0.0, "64"}, {0.5, "128"}, {1.0, "192"}};
  FigureParallelAxis mixer;
  mixer.name = "mixer";
  mixer.categorical = true;
  mixer.ticks = {{0.0, "attention"}, {0.5, "based"}, {1.0, "hyena"}};
  FigureParallelAxis metric;
  metric.name = "valid/accuracy";
  metric.ticks = {{0.0, "0.2"}, {1.0, "0.8"}};
  panel.parallel_axes = {width, mixer, metric};
  // run id -> positions on the three axes
  const std::vector<std::pair<int64_t, std::vector<double>>> runs = {
      {11, {0.0, 0.0, 0.1}}, {12, {0.5, 0.5, 0.4}}, {13, {1.0, 1.0, 0.9}}, {14, {0.25, 0.5, 0.7}}};
  for (const auto& [run, ys] : runs) {
    std::vector<FigurePoint> points;
    for (size_t a = 0; a < ys.size(); ++a) {
      FigurePoint point = makeFigurePoint(static_cast<double>(a), ys[a], run, "run " + std::to_string(run));
      point.run_ids = {run};
      points.push_back(point);
    }
    FigureSeries series = makeFigureSeries("run " + std::to_string(run), "", SeriesStyle::Line, points);
    series.colour_value = ys.back();
    panel.series.push_back(series);
  }
  figure.panels.push_back(panel);
  return figure;
}

inline Figure tableFigure() {
  Figure figure;
  figure.name = "pivot-table";
  figure.title = "Best valid/accuracy";
  FigureTable table;
  table.columns = {"mixer", "64", "128"};
  table.rows = {{"attention", "0.91", "0.99"}, {"based", "0.5", ""}};
  figure.table = table;
  return figure;
}

}  // namespace zoolab::testing
