#pragma once

// The live curves view: one metric of the selected runs against step, epoch or wall time, each run in its
// colour, smoothed with TensorBoard's debiased EMA over its raw curve drawn faint (QCustomPlot).
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
#include <QElapsedTimer>
#include <QHash>
#include <QPointF>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

#include "engine/analysis/figure.h"
#include "engine/store/records.h"
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
class QSlider;
class QTimer;

namespace zoolab {

class CurvePlot : public QWidget {
  Q_OBJECT

 public:
  enum class XAxis { Step, Epoch, WallTime };

  // Data arriving more often than this is drawn together. When a replot takes longer than a quarter of
  // it, the interval grows to four replot times, so streaming data never takes the GUI thread over.
  static constexpr int kReplotIntervalMs = 250;
  // The slider's range: 0 (raw) .. 0.999, in thousandths.
  static constexpr double kMaxSmoothing = 0.999;

  // What the hover tooltip shows: the point of a drawn run nearest to a pixel of the plot.
  struct HoverPoint {
    bool valid = false;  // false when no run is drawn
    qint64 runId = 0;
    size_t index = 0;  // position in the run's CurveSeries
    double x = 0.0;    // on the current x axis
    qint64 step = 0;
    qint64 epoch = 0;
    double wallTime = 0.0;
    double raw = 0.0;
    double smoothed = 0.0;
  };

  // Child widgets carry these object names (tests and style sheets find them): "metricCombo",
  // "xAxisCombo", "smoothingSlider", "smoothingLabel", "logXCheck", "logYCheck", "fitButton", "exportButton",
  // "customPlot".
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
  // TensorBoard's smoothing weight, clamped to [0, kMaxSmoothing]; 0 draws the raw curves only.
  // Default kDefaultSmoothingWeight (0.6).
  void setSmoothing(double weight);
  double smoothing() const { return m_smoothing; }
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
  // Writes the plot as drawn (.pdf, .svg, .png at options.dpi) or toFigure() (.csv) to `path`; returns
  // the error message, empty on success (views/figure_export.h).
  QString exportTo(const QString& path, const FigureExportOptions& options = {}) const;
  // Fonts and line width of the plot, on screen and in exported files; runs keep their own colours.
  void setFigureStyle(const FigureStyle& style);
  const FigureStyle& figureStyle() const { return m_style; }

  // Asks for one replot within kReplotIntervalMs (see there); calls in between are merged into it.
  void scheduleReplot();

  // ---- For tests, the screenshot hook and benchmarks ----
  // Runs drawn (each a smoothed graph with its raw graph beneath). The legend names them while there are
  // at most 20.
  int graphCount() const { return static_cast<int>(m_curves.size()); }
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

 private:
  // The graphs of one drawn run, and how far into its series they are.
  struct RunCurve {
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
  double xOf(const CurveSeries& series, size_t index) const;

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

  QString m_metric;
  std::string m_metricKey;      // m_metric as the store's keys are spelled
  bool m_metricChosen = false;  // by setMetric or the combo; until then the default follows the data
  XAxis m_xAxis = XAxis::Step;
  double m_smoothing = kDefaultSmoothingWeight;
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
