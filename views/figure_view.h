#pragma once

// Draws any dashboard Figure (engine/analysis/figure.h) as a publication figure: one QCustomPlot whose
// panels sit in a row, each an axis rect with its title, sharing one legend (one entry per series name)
// and one colour per group in every panel, so "attention" is the same blue at every sequence length as
// in Zoology's Fig. 2. Reference series (the paper's values) are dashed with hollow markers, markers are
// dashed vertical lines with a label, colour-valued series (parallel coordinates) take their colour from
// a colour scale, and hovering a point shows its label (which run was chosen, and why). A table Figure
// (pivot table) is shown in a table view instead. Notes (what was left out) appear under the plot.
//
// A point that summarises a seed group carries a spread: it is drawn with an error bar (low to high) in
// its series' colour, and its hover text adds n, mean ± std and min–max. Clicking a point or a line
// reports the runs behind it (runsClicked) and double-clicking one opens its run (runActivated); the
// window selects them in the run explorer. A parallel-coordinates panel names the values along each
// axis, and dragging along an axis brushes a range: the runs outside it are dimmed and the ones inside
// every brushed range reported (runsClicked).
//
// The drawing is rebuilt synchronously by setFigure and setFigureStyle, so an export right after sees
// the new figure; only the on-screen replot is coalesced (at most one per kReplotIntervalMs), as in
// views/curve_plot.cpp.

#include <vector>

#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QPen>
#include <QPointF>
#include <QSize>
#include <QString>
#include <QWidget>

#include "engine/analysis/figure.h"
#include "views/figure_parallel.h"
#include "views/figure_style.h"

class QCPAxisRect;
class QCPErrorBars;
class QCPItemRect;
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
  // A click this close to a drawn line (pixels) picks it.
  static constexpr double kLineHitRadiusPx = 5.0;
  // A press this close to a parallel-coordinates axis (pixels) starts a brush along it, and a drag
  // shorter than kClickSlopPx is a click.
  static constexpr double kBrushGrabPx = 10.0;
  static constexpr double kClickSlopPx = 4.0;
  // A brush reaches this far beyond where the drag began and ended, so a drag from a run's pixel takes
  // the run in however the pixel rounds.
  static constexpr double kBrushSlackPx = 2.0;

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
  // The error bars of that series; nullptr when none of its points has a spread.
  QCPErrorBars* seriesErrorBars(int panel, int series) const;
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

  // ---- Click-through ----
  // The runs a click at `pixel` picks: those behind the nearest point (FigurePoint::run_ids, else its
  // run_id), else every run of a line passing within kLineHitRadiusPx; empty over reference values.
  QList<qint64> runsAt(const QPointF& pixel) const;
  // The run a double click at `pixel` opens (the point's run, or a line's only run); 0 for none.
  qint64 runToOpenAt(const QPointF& pixel) const;

  // ---- Brushing (parallel coordinates) ----
  // The panel's axis whose line is within kBrushGrabPx of `pixel`; -1 for none.
  int parallelAxisAt(int panel, const QPointF& pixel) const;
  // Sets (or, with low == high, clears) the brush of axis `axis` of panel `panel`, in positions 0..1,
  // and dims the lines outside; what dragging along the axis does.
  void setBrush(int panel, int axis, double low, double high);
  void clearBrushes();
  const ParallelBrushes& brushes() const { return m_brushes; }
  // The runs passing through every brushed range (empty when nothing is brushed).
  QList<qint64> brushedRuns() const;
  // Whether a series' line is drawn dimmed (outside a brush).
  bool isDimmed(int panel, int series) const;

  void scheduleReplot();
  int replotCount() const { return m_replotCount; }

  // The user clicked a point or line (or brushed axes) standing for these runs.
  Q_SIGNAL void runsClicked(const QList<qint64>& runIds);
  // The user double-clicked a point or line of this run.
  Q_SIGNAL void runActivated(qint64 runId);

 private:
  struct DrawnSeries {
    QCPGraph* graph = nullptr;
    QCPErrorBars* errorBars = nullptr;
    QPen pen;  // as drawn undimmed
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
  void onPlotMousePress(QMouseEvent* event);
  void onPlotMouseRelease(QMouseEvent* event);
  void onPlotDoubleClick(QMouseEvent* event);
  // The panel whose axis rect holds `pixel`; -1 for none.
  int panelAt(const QPointF& pixel) const;
  // The series of a line passing within kLineHitRadiusPx of `pixel`, as a HoverPoint with point -1.
  HoverPoint nearestLine(const QPointF& pixel) const;
  QList<qint64> runsOf(const HoverPoint& hit) const;
  // Dims the lines outside the brushes and draws the brushed ranges.
  void applyBrushes();
  // Brushes the axis being dragged from where the press was to `pixelY`.
  void brushTo(double pixelY);

  Figure m_figure;
  FigureStyle m_style;
  QHash<QString, int> m_groupIndex;  // group -> palette index
  std::vector<QCPAxisRect*> m_panelRects;
  std::vector<DrawnSeries> m_drawn;
  QCPLegend* m_legend = nullptr;
  QCPColorScale* m_colourScale = nullptr;
  QCPMarginGroup* m_marginGroup = nullptr;
  int m_legendColumns = 1;
  ParallelBrushes m_brushes;
  // A press and drag in progress: where it began, and the axis it brushes (-1: a click or none).
  QPointF m_pressPixel;
  bool m_pressed = false;
  int m_brushPanel = -1;
  int m_brushAxis = -1;
  std::vector<QCPItemRect*> m_brushItems;  // the brushed ranges drawn

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
