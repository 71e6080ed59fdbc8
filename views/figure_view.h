#pragma once

// Draws any dashboard Figure (engine/analysis/figure.h) as a publication figure: one QCustomPlot whose
// panels sit in a row, each an axis rect with its title, sharing one legend (one entry per series name)
// and one colour per group in every panel, so "attention" is the same blue at every sequence length as
// in Zoology's Fig. 2. Reference series (the paper's values) are dashed with hollow markers, markers are
// dashed vertical lines with a label, colour-valued series (parallel coordinates) take their colour from
// a colour scale, and hovering a point shows its label (which run was chosen, and why). A table Figure
// (pivot table) is shown in a table view instead. Notes (what was left out) appear under the plot.
//
// The drawing is rebuilt synchronously by setFigure and setFigureStyle, so an export right after sees
// the new figure; only the on-screen replot is coalesced (at most one per kReplotIntervalMs), as in
// views/curve_plot.cpp.

#include <vector>

#include <QElapsedTimer>
#include <QHash>
#include <QPointF>
#include <QSize>
#include <QString>
#include <QWidget>

#include "engine/analysis/figure.h"
#include "views/figure_style.h"

class QCPAxisRect;
class QCPColorScale;
class QCPGraph;
class QCPLegend;
class QCPMarginGroup;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QStackedWidget;
class QStandardItemModel;
class QTableView;
class QTimer;

namespace zoolab {

class FigureView : public QWidget {
  Q_OBJECT

 public:
  static constexpr int kReplotIntervalMs = 250;
  // A point this close to the cursor (pixels) shows its tooltip.
  static constexpr double kHoverRadiusPx = 16.0;

  // A drawn point: series `series` of panel `panel`, its point `point` in the Figure.
  struct HoverPoint {
    bool valid = false;
    int panel = -1;
    int series = -1;
    int point = -1;
  };

  // Child widgets carry these object names: "figurePlot", "figureTable", "figureNotes".
  explicit FigureView(QWidget* parent = nullptr);
  ~FigureView() override;

  void setFigure(const Figure& figure);
  const Figure& figure() const { return m_figure; }
  void setFigureStyle(const FigureStyle& style);
  const FigureStyle& figureStyle() const { return m_style; }

  // True when the figure is a table (then tableView() shows it and the plot is empty).
  bool showsTable() const;
  QCustomPlot* customPlot() const { return m_plot; }
  QTableView* tableView() const { return m_table; }
  QLabel* notesLabel() const { return m_notes; }

  // ---- The drawing, for exports and tests ----
  int panelCount() const { return static_cast<int>(m_panelRects.size()); }
  QCPAxisRect* panelRect(int panel) const;
  // The graph of series `series` of panel `panel`; nullptr when out of range.
  QCPGraph* seriesGraph(int panel, int series) const;
  QCPLegend* legend() const { return m_legend; }
  QCPColorScale* colourScale() const { return m_colourScale; }
  // The colour of a group (palette colours in order of first appearance over the panels).
  QColor groupColour(const QString& group) const;
  // The size (pixels = points of an exported PDF) the figure is exported at when none is asked for:
  // wide enough for its panels, tall enough for its legend rows.
  QSize naturalSize() const;

  // The drawn point nearest to `pixel` (customPlot() coordinates) within kHoverRadiusPx, in the panel
  // under it; laid out by the last replot.
  HoverPoint nearestPoint(const QPointF& pixel) const;
  // The point's label (the run chosen and why); "series: x, y" for a point without one.
  QString toolTipText(const HoverPoint& point) const;

  void scheduleReplot();
  int replotCount() const { return m_replotCount; }

 private:
  struct DrawnSeries {
    QCPGraph* graph = nullptr;
    int panel = 0;
    int series = 0;
    std::vector<int> order;  // graph data index -> Figure point index (points sorted by x)
  };

  void rebuild();
  void clearPlot();
  void buildPanels();
  void buildTable();
  void replotNow();
  void onPlotMouseMove(QMouseEvent* event);

  Figure m_figure;
  FigureStyle m_style;
  QHash<QString, int> m_groupIndex;  // group -> palette index
  std::vector<QCPAxisRect*> m_panelRects;
  std::vector<DrawnSeries> m_drawn;
  QCPLegend* m_legend = nullptr;
  QCPColorScale* m_colourScale = nullptr;
  QCPMarginGroup* m_marginGroup = nullptr;
  int m_legendColumns = 1;

  QStackedWidget* m_stack = nullptr;
  QCustomPlot* m_plot = nullptr;
  QTableView* m_table = nullptr;
  QStandardItemModel* m_tableModel = nullptr;
  QLabel* m_notes = nullptr;
  QTimer* m_replotTimer = nullptr;
  QElapsedTimer m_sinceReplot;
  int m_replotCount = 0;
};

}  // namespace zoolab
