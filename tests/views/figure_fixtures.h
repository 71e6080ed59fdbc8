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
