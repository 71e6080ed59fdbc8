#pragma once

// The live curves view: one metric of the selected runs against step, epoch, elapsed training time or the
// wall clock, each run in its colour, smoothed with TensorBoard's debiased EMA over its raw curve drawn
// faint (QCustomPlot). With "Group seeds" on, selected runs that differ only in their seeds are drawn as
// one mean curve with a band (views/curve_groups.h). The legend sits right of the axes, never over the
// curves; clicking an entry asks for its runs to be selected (legendClicked). With no run selected the
// view shows what to do instead of empty axes.
//
// Data arrives from the GUI's poller as plain MetricPoint rows (appendMetrics for new rows, setRunHistory
// for a run's full history) and is kept in a CurveStore whatever is selected, so switching runs or metric
// needs no database read. Arriving data updates only the graphs of the series that grew, appending the new
// points (smoothing continues from where it stopped), and asks for a coalesced replot: at most one every
// kReplotIntervalMs however fast rows come. Large histories stay fast because every graph keeps its keys
// sorted, so QCustomPlot draws only the visible range and samples it down to a few points per pixel.

#include <map>
#include <memory>
#include <set>
#include <vector>

#include <QColor>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHash>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include "engine/analysis/figure.h"
#include "engine/store/records.h"
#include "views/curve_groups.h"
#include "views/curve_smoothing.h"
#include "views/curve_store.h"
#include "views/figure_export.h"
#include "views/figure_style.h"

class QCheckBox;
class QComboBox;
class QCPGraph;
class QCustomPlot;
class QLabel;
class QMouseEvent;
class QPushButton;
class QCPAbstractLegendItem;
class QCPLayoutGrid;
class QSlider;
class QStackedWidget;
class QTimer;

namespace zoolab {

class CurvePlot : public QWidget {
  Q_OBJECT

 public:
  // Elapsed: the run's training time in seconds (metrics.wall_time, which continues across resumes).
  // WallClock: the run's started_at plus its elapsed training time, as a local date and time; exact for a
  // run trained in one go, while a resumed run's later points leave out the time it was stopped.
  enum class XAxis { Step, Epoch, Elapsed, WallClock };

  // Data arriving more often than this is drawn together. When a replot takes longer than a quarter of
  // it, the interval grows to four replot times, so streaming data never takes the GUI thread over.
  static constexpr int kReplotIntervalMs = 250;
  // The slider's range: 0 (raw) .. 0.999, in thousandths.
  static constexpr double kMaxSmoothing = 0.999;
  // A metric whose longest drawn series has fewer points than this (validation metrics logged once an
  // epoch), or whose key starts with "valid/" or "test/", is drawn unsmoothed until the user sets a weight.
  static constexpr size_t kFewPoints = 20;
  // Legend names longer than this many pixels are elided in the middle (the tooltip has the whole name).
  static constexpr int kLegendNameMaxPx = 220;

  // What the hover tooltip shows: the point of a drawn run nearest to a pixel of the plot.
  struct HoverPoint {
    bool valid = false;  // false when no run is drawn
    qint64 runId = 0;
    size_t index = 0;  // position in the run's CurveSeries
    double x = 0.0;    // on the current x axis
    qint64 step = 0;
    qint64 epoch = 0;  // 1-based, as shown ("epoch 1" is the first)
    double wallTime = 0.0;
    double raw = 0.0;
    double smoothed = 0.0;
    // A seed group's mean instead of a run: its index in drawnGroups() and its point (runId is then the
    // group's first member); -1 for a run.
    int group = -1;
    CurveGroupPoint groupPoint;
  };

  // Child widgets carry these object names (tests and style sheets find them): "metricCombo",
  // "xAxisCombo", "smoothingSlider", "smoothingLabel", "logXCheck", "logYCheck", "fitButton", "exportButton",
  // "groupSeedsCheck", "bandCombo", "customPlot", "emptyMessage".
  explicit CurvePlot(QWidget* parent = nullptr);
  ~CurvePlot() override;

  // ---- Data, from the poller ----
  // New rows (Store::metrics_since(store().lastId())), any runs and keys, in id order. Rows already held
  // are skipped, so overlapping with a history is harmless.
  void appendMetrics(const std::vector<MetricPoint>& points);
  // A run's full history (Store::metrics(runId)); replaces what was held for that run.
  void setRunHistory(qint64 runId, const std::vector<MetricPoint>& points);
  // Forgets a run's points (a deleted run).
  void removeRunData(qint64 runId);
  // Forgets every point (another database).
  void clearData();
  const CurveStore& store() const { return m_store; }

  // ---- Which runs, and how they look ----
  // The runs to draw, in legend order. Runs without points of the metric draw nothing until some arrive.
  void setRuns(const QVector<qint64>& runIds);
  const QVector<qint64>& runs() const { return m_runs; }
  // The run's colour in every view; a run without one gets runColour(runId, "") (views/run_colours.h).
  void setRunColour(qint64 runId, const QColor& colour);
  QColor runColour(qint64 runId) const;
  // The legend and tooltip name; "run <id>" until set.
  void setRunName(qint64 runId, const QString& name);
  QString runName(qint64 runId) const;
  // When the run started training (runs.started_at): the origin of its points on the wall-clock axis,
  // which does not draw runs without one.
  void setRunStartTime(qint64 runId, const QDateTime& startedAt);
  // The run's seed group (seed_group_key of its configuration); runs without one are groups of their own.
  void setRunGroup(qint64 runId, const QString& groupKey);
  bool hasRunGroup(qint64 runId) const { return m_groupKeys.contains(runId); }

  // ---- Seed groups ----
  // Off by default. When on, selected runs of one group with points of the metric are drawn as their
  // mean with a band, named "<first member's name without its seed> (n=<members>)".
  void setGroupSeeds(bool grouped);
  bool groupSeeds() const { return m_groupSeeds; }
  void setBand(CurveBand band);
  CurveBand band() const { return m_band; }
  // The drawn groups of more than one run: label (legend text before eliding) and members.
  struct DrawnGroup {
    QString label;
    QVector<qint64> members;
    std::vector<CurveGroupPoint> points;
  };
  const std::vector<DrawnGroup>& drawnGroups() const { return m_drawnGroups; }

  // ---- The controls (each also has its widget) ----
  // Until a metric is set (or picked in the combo), the view shows "train/loss", else "valid/accuracy",
  // else the first key, as soon as one arrives. Choosing a metric turns log y on for keys containing
  // "loss" and off otherwise, and fits the axes to the data.
  void setMetric(const QString& key);
  const QString& metric() const { return m_metric; }
  // The metric combo's entries: every key held (sorted) plus the current metric.
  QStringList availableMetrics() const;
  void setXAxis(XAxis axis);
  XAxis xAxis() const { return m_xAxis; }
  // TensorBoard's smoothing weight of the current metric, clamped to [0, kMaxSmoothing]; 0 draws the raw
  // curves only. Each metric keeps the weight the user set for it; until then it is
  // defaultSmoothing(metric): kDefaultSmoothingWeight (0.6), or 0 for metrics with few points (kFewPoints).
  void setSmoothing(double weight);
  double smoothing() const { return m_smoothing; }
  double defaultSmoothing(const QString& key) const;
  // The weights the user set, per metric (to keep them between sessions).
  const QHash<QString, double>& smoothingChoices() const { return m_smoothingChoices; }
  void setSmoothingChoices(const QHash<QString, double>& choices);
  void setLogX(bool logarithmic);
  bool logX() const;
  void setLogY(bool logarithmic);
  bool logY() const;
  // Rescales both axes to the drawn data and keeps following it as points arrive, until the user zooms or
  // pans (the "Fit" button and a double click call it).
  void fit();

  // ---- Export ----
  // The drawn curves as a Figure, the data behind an export: one panel, and per drawn run a series of
  // every raw point (labelled with its step and epoch) and, when smoothing, one of the smoothed curve.
  Figure toFigure() const;
  // The CSV columns (zoolab::figure_to_csv): panel, series, group, style, x, y, run_id, label. x is on the
  // axis shown: step; epoch, 1-based (the first epoch is 1, as `zoolab-cli train` prints "epoch 1/N");
  // elapsed training seconds; or the wall clock as seconds since 1970-01-01 UTC. label is "step S, epoch E"
  // with the same 1-based epoch. A seed group adds its mean ("<label> (mean)", each point with every member's
  // run id in the figure) and its band ("<label> (low)", "<label> (high)").
  // Writes the plot as drawn (.pdf, .svg, .png at options.dpi) or toFigure() (.csv) to `path`; returns
  // the error message, empty on success (views/figure_export.h).
  QString exportTo(const QString& path, const FigureExportOptions& options = {}) const;
  // Fonts and line width of the plot, on screen and in exported files; runs keep their own colours.
  void setFigureStyle(const FigureStyle& style);
  const FigureStyle& figureStyle() const { return m_style; }

  // Asks for one replot within kReplotIntervalMs (see there); calls in between are merged into it.
  void scheduleReplot();

  // ---- For tests, the screenshot hook and benchmarks ----
  // Runs drawn one by one (each a smoothed graph with its raw graph beneath), seed groups not counted. The
  // legend names runs and groups while there are at most 20.
  int graphCount() const { return static_cast<int>(m_curves.size()); }
  // The message shown instead of the plot; empty while the plot is shown.
  QString emptyMessage() const;
  // The (x, y) points of a run's smoothed or raw graph, sorted by x; empty when the run is not drawn.
  QVector<QPointF> plottedPoints(qint64 runId, bool smoothed) const;
  // Replots this view asked QCustomPlot for (its own mouse zoom and pan are not counted).
  int replotCount() const { return m_replotCount; }
  QCustomPlot* customPlot() const { return m_plot; }
  // The drawn point nearest to `pixel` (customPlot() coordinates), raw or smoothed.
  HoverPoint nearestPoint(const QPointF& pixel) const;
  // The hover tooltip for a point: run name, step, smoothed and raw values (and epoch or wall time when
  // that is the x axis).
  QString toolTipText(const HoverPoint& point) const;

  Q_SIGNAL void metricChanged(const QString& key);
  // The user clicked a legend entry: the run (or every member of the group) it names.
  Q_SIGNAL void legendClicked(const QList<qint64>& runIds);

 private:
  // The graphs of one drawn run, and how far into its series they are.
  struct RunCurve {
    qint64 runId = 0;
    QCPGraph* raw = nullptr;
    QCPGraph* smoothed = nullptr;
    uint64_t generation = 0;  // CurveSeries::generation the graphs were built from
    size_t consumed = 0;      // series points already in the graphs
    EmaSmoother smoother;
    // Graph index -> series index when the x values are not in series order (a resumed run logs some
    // steps again); empty when they are, which is the usual case.
    std::vector<size_t> order;
  };

  void buildControls();
  void configurePlot();
  // Brings a run's graphs up to date with its series of the current metric: creates them for a run that
  // got its first points, removes them when it has none, appends new points, or rebuilds them when
  // `rebuild` or the series was replaced.
  void syncRun(qint64 runId, bool rebuild);
  void syncAllRuns(bool rebuild);
  void appendNewPoints(RunCurve& curve, const CurveSeries& series);
  void rebuildCurve(RunCurve& curve, const CurveSeries& series);
  // Recomputes every smoothed value of a curve from its series (weight changed, or the series stopped
  // being constant).
  void resmoothCurve(RunCurve& curve, const CurveSeries& series);
  void removeCurve(qint64 runId);
  void styleCurve(qint64 runId, RunCurve& curve);
  // The x of a series point on the current axis; NaN on the wall-clock axis for a run without a start time.
  double xOf(qint64 runId, const CurveSeries& series, size_t index) const;
  bool drawable(qint64 runId) const;
  QString legendName(const QString& name) const;
  void placeLegend(bool visible);
  // Legend entries in the order of the runs (the explorer's), a group where its first member is.
  void orderLegend();
  void onLegendClick(QCPAbstractLegendItem* item);
  void updateEmptyState();
  // Smoothing: the weight for the current metric, applied without recording a user choice.
  void applySmoothing(double weight);
  void showSmoothing(double weight);  // the slider and label, without signals
  void refreshDefaultSmoothing();
  // Seed groups: which runs are drawn in a group (regroup), and the group graphs (rebuildGroups, at the
  // next replot after a member's points changed).
  void regroup();
  void rebuildGroups();
  void clearGroupGraphs();
  void addGroupsToFigure(FigurePanel& panel) const;

  void refreshMetricCombo();
  void chooseMetric(const QString& key, bool byUser);
  void updateAxisScales();
  void rescaleToData();
  void replotNow();
  void onScheduledReplot();
  int replotInterval() const;
  // Antialiased, thicker smoothed lines while the graphs hold few enough points to draw them quickly.
  void updateDrawingQuality();
  void onPlotMouseMove(QMouseEvent* event);
  void onExportClicked();

  CurveStore m_store;
  QVector<qint64> m_runs;
  std::set<qint64> m_runSet;
  std::map<qint64, RunCurve> m_curves;
  QHash<qint64, QColor> m_colours;
  QHash<qint64, QString> m_names;
  QHash<qint64, QDateTime> m_startTimes;
  QHash<qint64, QString> m_groupKeys;

  bool m_groupSeeds = false;
  CurveBand m_band = CurveBand::Std;
  std::set<qint64> m_groupedRuns;  // selected runs drawn inside a group of several, not on their own
  bool m_groupsDirty = false;
  std::vector<DrawnGroup> m_drawnGroups;
  std::vector<QCPGraph*> m_groupGraphs;          // mean, low, high per drawn group
  QHash<QCPGraph*, QList<qint64>> m_legendRuns;  // legend graph -> runs it names

  QString m_metric;
  std::string m_metricKey;      // m_metric as the store's keys are spelled
  bool m_metricChosen = false;  // by setMetric or the combo; until then the default follows the data
  XAxis m_xAxis = XAxis::Step;
  double m_smoothing = kDefaultSmoothingWeight;
  QHash<QString, double> m_smoothingChoices;
  bool m_autoFit = true;
  bool m_detailed = true;  // see updateDrawingQuality()

  // Buffers reused between appends so that arriving points cost no allocation (defined in the .cpp,
  // which is the only file that includes the large qcustomplot.h).
  struct Batches;
  std::unique_ptr<Batches> m_batches;

  QTimer* m_replotTimer = nullptr;
  QElapsedTimer m_sinceReplot;
  int m_replotCount = 0;

  QCustomPlot* m_plot = nullptr;
  QStackedWidget* m_stack = nullptr;
  QLabel* m_emptyLabel = nullptr;
  QWidget* m_controls = nullptr;
  QCheckBox* m_groupSeedsCheck = nullptr;
  QComboBox* m_bandCombo = nullptr;
  QCPLayoutGrid* m_legendColumn = nullptr;  // the legend's column (placeLegend); in the plot while placed
  bool m_legendPlaced = false;
  QComboBox* m_metricCombo = nullptr;
  QComboBox* m_xAxisCombo = nullptr;
  QSlider* m_smoothingSlider = nullptr;
  QLabel* m_smoothingLabel = nullptr;
  QCheckBox* m_logXCheck = nullptr;
  QCheckBox* m_logYCheck = nullptr;
  QPushButton* m_fitButton = nullptr;
  QPushButton* m_exportButton = nullptr;
  FigureStyle m_style;
};

}  // namespace zoolab
