#include "views/curve_plot.h"

#include "views/qcustomplot_include.h"
#include "views/run_colours.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace zoolab {

namespace {

// Zoology's metric names (docs/architecture.md#storage), in the order the default metric is looked for.
constexpr char kTrainLoss[] = "train/loss";
constexpr char kValidAccuracy[] = "valid/accuracy";

constexpr char kRawLayer[] = "rawCurves";
constexpr int kSliderSteps = 1000;  // the slider works in thousandths of the weight
constexpr double kRawAlpha = 0.25;  // the raw curve beneath the smoothed one
// Beyond this many points in the graphs, curves are drawn 1 px wide without antialiasing: antialiased
// 1.5 px lines make a full replot of 50 runs x 100,000 points about three times slower (bench_views).
constexpr qint64 kAntialiasPointBudget = 500000;
// More entries than this would cover the plot; the run table shows every run's colour anyway.
constexpr size_t kLegendMaxRuns = 20;
// A replot may take at most this share of the GUI thread's time while data streams in.
constexpr double kReplotShare = 0.25;

bool isLossKey(const QString& key) {
  return key.contains(QLatin1String("loss"), Qt::CaseInsensitive);
}

// Metrics logged once per evaluation: a handful of points that smoothing would only distort.
bool isEvaluationKey(const QString& key) {
  return key.startsWith(QLatin1String("valid/")) || key.startsWith(QLatin1String("test/"));
}

// QCPDataContainer::add(batch, true) puts a batch whose keys are all <= the first key in front of the old
// points, which reverses points that share one x (every point of the first epoch on the epoch axis). Such
// batches are appended one point at a time instead; the caller guarantees keys >= the last key.
void appendSorted(QCPGraphDataContainer& container, const QVector<QCPGraphData>& batch) {
  if (batch.isEmpty()) {
    return;
  }
  if (!container.isEmpty() && !(container.constBegin()->key < batch.constLast().key)) {
    for (const QCPGraphData& point : batch) {
      container.add(point);
    }
    return;
  }
  container.add(batch, true);
}

}  // namespace

struct CurvePlot::Batches {
  QVector<QCPGraphData> raw;
  QVector<QCPGraphData> smoothed;
};

CurvePlot::CurvePlot(QWidget* parent) : QWidget(parent), m_batches(std::make_unique<Batches>()) {
  m_replotTimer = new QTimer(this);
  m_replotTimer->setSingleShot(true);
  connect(m_replotTimer, &QTimer::timeout, this, &CurvePlot::onScheduledReplot);
  buildControls();
  configurePlot();
}

CurvePlot::~CurvePlot() {
  if (!m_legendPlaced && m_legendColumn != nullptr) {
    m_plot->plotLayout()->addElement(0, 1, m_legendColumn);  // the plot deletes what its layout holds
  }
}

void CurvePlot::buildControls() {
  m_metricCombo = new QComboBox(this);
  m_metricCombo->setObjectName(QStringLiteral("metricCombo"));
  m_metricCombo->setToolTip(tr("The metric to plot"));
  m_metricCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_metricCombo->setMinimumContentsLength(14);
  connect(m_metricCombo, &QComboBox::textActivated, this,
          [this](const QString& key) { chooseMetric(key, true); });

  m_xAxisCombo = new QComboBox(this);
  m_xAxisCombo->setObjectName(QStringLiteral("xAxisCombo"));
  m_xAxisCombo->setToolTip(tr("What the horizontal axis counts"));
  m_xAxisCombo->addItem(tr("Step"), static_cast<int>(XAxis::Step));
  m_xAxisCombo->addItem(tr("Epoch"), static_cast<int>(XAxis::Epoch));
  m_xAxisCombo->addItem(tr("Relative time"), static_cast<int>(XAxis::Elapsed));
  m_xAxisCombo->addItem(tr("Wall clock"), static_cast<int>(XAxis::WallClock));
  m_xAxisCombo->setItemData(2, tr("Elapsed training time (h:mm:ss); it continues across resumes"),
                            Qt::ToolTipRole);
  m_xAxisCombo->setItemData(3, tr("The run's start plus its training time, as a local date and time"),
                            Qt::ToolTipRole);
  connect(m_xAxisCombo, &QComboBox::activated, this,
          [this](int index) { setXAxis(static_cast<XAxis>(m_xAxisCombo->itemData(index).toInt())); });

  m_smoothingSlider = new QSlider(Qt::Horizontal, this);
  m_smoothingSlider->setObjectName(QStringLiteral("smoothingSlider"));
  m_smoothingSlider->setRange(0, static_cast<int>(std::lround(kMaxSmoothing * kSliderSteps)));
  m_smoothingSlider->setToolTip(
      tr("Smoothing of this metric: TensorBoard's debiased exponential moving average; the raw curve stays "
         "faint beneath. Metrics with few points (validation) start unsmoothed; each metric keeps its "
         "weight"));
  m_smoothingSlider->setMinimumWidth(120);
  connect(m_smoothingSlider, &QSlider::valueChanged, this,
          [this](int value) { setSmoothing(static_cast<double>(value) / kSliderSteps); });
  m_smoothingLabel = new QLabel(this);
  m_smoothingLabel->setObjectName(QStringLiteral("smoothingLabel"));
  m_smoothingLabel->setMinimumWidth(
      m_smoothingLabel->fontMetrics().horizontalAdvance(QStringLiteral("0.000")));

  m_logXCheck = new QCheckBox(tr("Log x"), this);
  m_logXCheck->setObjectName(QStringLiteral("logXCheck"));
  connect(m_logXCheck, &QCheckBox::toggled, this, &CurvePlot::setLogX);
  m_logYCheck = new QCheckBox(tr("Log y"), this);
  m_logYCheck->setObjectName(QStringLiteral("logYCheck"));
  connect(m_logYCheck, &QCheckBox::toggled, this, &CurvePlot::setLogY);

  m_fitButton = new QPushButton(tr("Fit"), this);
  m_fitButton->setObjectName(QStringLiteral("fitButton"));
  m_fitButton->setToolTip(tr("Show all the data and follow it as it grows (or double-click the plot)"));
  connect(m_fitButton, &QPushButton::clicked, this, &CurvePlot::fit);

  m_exportButton = new QPushButton(tr("Export…"), this);
  m_exportButton->setObjectName(QStringLiteral("exportButton"));
  m_exportButton->setToolTip(tr("Save the plot as PDF or SVG (vector), PNG, or its data as CSV"));
  connect(m_exportButton, &QPushButton::clicked, this, &CurvePlot::onExportClicked);

  m_groupSeedsCheck = new QCheckBox(tr("Group seeds"), this);
  m_groupSeedsCheck->setObjectName(QStringLiteral("groupSeedsCheck"));
  m_groupSeedsCheck->setToolTip(
      tr("Draw selected runs that differ only in their seeds as one mean curve with a band"));
  connect(m_groupSeedsCheck, &QCheckBox::toggled, this, &CurvePlot::setGroupSeeds);
  m_bandCombo = new QComboBox(this);
  m_bandCombo->setObjectName(QStringLiteral("bandCombo"));
  m_bandCombo->setToolTip(tr("The band around a group's mean: ± one standard deviation, or min to max"));
  m_bandCombo->addItem(QStringLiteral("std"), static_cast<int>(CurveBand::Std));
  m_bandCombo->addItem(QStringLiteral("minmax"), static_cast<int>(CurveBand::MinMax));
  m_bandCombo->setEnabled(false);
  connect(m_bandCombo, &QComboBox::activated, this,
          [this](int index) { setBand(static_cast<CurveBand>(m_bandCombo->itemData(index).toInt())); });

  auto* controls = new QHBoxLayout;
  controls->addWidget(new QLabel(tr("Metric"), this));
  controls->addWidget(m_metricCombo);
  controls->addSpacing(8);
  controls->addWidget(new QLabel(tr("x"), this));
  controls->addWidget(m_xAxisCombo);
  controls->addSpacing(8);
  controls->addWidget(new QLabel(tr("Smoothing"), this));
  controls->addWidget(m_smoothingSlider, 1);
  controls->addWidget(m_smoothingLabel);
  controls->addWidget(m_logXCheck);
  controls->addWidget(m_logYCheck);
  controls->addWidget(m_groupSeedsCheck);
  controls->addWidget(m_bandCombo);
  controls->addWidget(m_fitButton);
  controls->addWidget(m_exportButton);

  controls->setContentsMargins(0, 0, 0, 0);
  m_controls = new QWidget(this);
  m_controls->setLayout(controls);

  m_plot = new QCustomPlot(this);
  m_plot->setObjectName(QStringLiteral("customPlot"));
  m_emptyLabel = new QLabel(this);
  m_emptyLabel->setObjectName(QStringLiteral("emptyMessage"));
  m_emptyLabel->setAlignment(Qt::AlignCenter);
  m_emptyLabel->setWordWrap(true);
  m_stack = new QStackedWidget(this);
  m_stack->addWidget(m_plot);
  m_stack->addWidget(m_emptyLabel);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_controls);
  layout->addWidget(m_stack, 1);

  const QSignalBlocker blocker(m_smoothingSlider);
  m_smoothingSlider->setValue(static_cast<int>(std::lround(m_smoothing * kSliderSteps)));
  m_smoothingLabel->setText(QString::number(m_smoothing, 'f', 3));
}

void CurvePlot::configurePlot() {
  m_plot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  // Fast polylines and no antialiasing while dragging keep panning through millions of points fluid.
  m_plot->setPlottingHints(QCP::phFastPolylines | QCP::phCacheLabels);
  m_plot->setNoAntialiasingOnDrag(true);
  m_plot->setMouseTracking(true);  // hover tooltips need moves without a button held
  // Raw curves on their own layer below the main one: every smoothed curve stays above every raw one.
  m_plot->addLayer(QString::fromLatin1(kRawLayer), m_plot->layer(QStringLiteral("main")),
                   QCustomPlot::limBelow);
  // The legend gets its own column right of the axis rect (placeLegend), so it never covers a curve.
  m_plot->legend->setBrush(Qt::NoBrush);
  m_plot->legend->setBorderPen(Qt::NoPen);
  placeLegend(false);
  connect(m_plot, &QCustomPlot::legendClick, this,
          [this](QCPLegend*, QCPAbstractLegendItem* item, QMouseEvent*) { onLegendClick(item); });
  connect(m_plot, &QCustomPlot::mouseMove, this, &CurvePlot::onPlotMouseMove);
  connect(m_plot, &QCustomPlot::mouseWheel, this, [this](QWheelEvent*) { m_autoFit = false; });
  connect(m_plot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) { fit(); });
  updateAxisScales();
  updateEmptyState();
}

// ---- Data ----

void CurvePlot::appendMetrics(const std::vector<MetricPoint>& points) {
  if (points.empty()) {
    return;
  }
  const size_t keysBefore = m_store.keys().size();
  const std::vector<CurveStore::SeriesId> grown = m_store.append(points);
  if (m_store.keys().size() != keysBefore) {
    refreshMetricCombo();  // may choose the default metric, which rebuilds every curve
  }
  bool changed = false;
  for (const CurveStore::SeriesId& id : grown) {
    if (id.second == m_metricKey && m_runSet.count(id.first) != 0) {
      syncRun(id.first, false);
      changed = true;
    }
  }
  if (changed) {
    refreshDefaultSmoothing();
    scheduleReplot();
  }
}

void CurvePlot::setRunHistory(qint64 runId, const std::vector<MetricPoint>& points) {
  m_store.setRunHistory(runId, points);
  refreshMetricCombo();
  if (m_runSet.count(runId) != 0) {
    syncRun(runId, true);
    refreshDefaultSmoothing();
    scheduleReplot();
  }
}

void CurvePlot::removeRunData(qint64 runId) {
  m_store.removeRun(runId);
  refreshMetricCombo();
  if (m_curves.count(runId) != 0) {
    removeCurve(runId);
  }
  if (m_runSet.count(runId) != 0) {
    m_groupsDirty = true;
    scheduleReplot();
  }
}

void CurvePlot::clearData() {
  m_store.clear();
  m_groupKeys.clear();  // another database: its run ids name other runs
  m_startTimes.clear();
  regroup();
  while (!m_curves.empty()) {
    removeCurve(m_curves.begin()->first);
  }
  m_groupsDirty = true;
  refreshMetricCombo();
  scheduleReplot();
}

// ---- Runs ----

void CurvePlot::setRuns(const QVector<qint64>& runIds) {
  if (runIds == m_runs) {
    return;
  }
  m_runs = runIds;
  m_runSet = std::set<qint64>(runIds.cbegin(), runIds.cend());
  regroup();
  std::vector<qint64> gone;
  for (const auto& entry : m_curves) {
    if (m_runSet.count(entry.first) == 0) {
      gone.push_back(entry.first);
    }
  }
  for (qint64 runId : gone) {
    removeCurve(runId);
  }
  for (qint64 runId : m_runs) {
    syncRun(runId, false);
  }
  refreshDefaultSmoothing();
  rebuildGroups();
  if (m_autoFit) {
    rescaleToData();
  }
  replotNow();
}

void CurvePlot::setRunColour(qint64 runId, const QColor& colour) {
  if (m_colours.value(runId) == colour) {
    return;
  }
  m_colours.insert(runId, colour);
  auto found = m_curves.find(runId);
  if (found != m_curves.end()) {
    styleCurve(runId, found->second);
    scheduleReplot();
  }
}

QColor CurvePlot::runColour(qint64 runId) const {
  const QColor colour = m_colours.value(runId);
  return colour.isValid() ? colour
                          : zoolab::runColour(runId, std::string());  // the palette colour of every view
}

void CurvePlot::setRunName(qint64 runId, const QString& name) {
  if (m_names.value(runId) == name) {
    return;
  }
  m_names.insert(runId, name);
  auto found = m_curves.find(runId);
  if (found != m_curves.end()) {
    styleCurve(runId, found->second);
    scheduleReplot();
  }
  if (m_groupedRuns.count(runId) != 0) {
    m_groupsDirty = true;
    scheduleReplot();
  }
}

void CurvePlot::setRunStartTime(qint64 runId, const QDateTime& startedAt) {
  if (m_startTimes.value(runId) == startedAt) {
    return;
  }
  m_startTimes.insert(runId, startedAt);
  if (m_xAxis == XAxis::WallClock && m_runSet.count(runId) != 0) {
    syncRun(runId, true);
    m_groupsDirty = true;
    scheduleReplot();
  }
}

void CurvePlot::setRunGroup(qint64 runId, const QString& groupKey) {
  if (m_groupKeys.value(runId) == groupKey && m_groupKeys.contains(runId)) {
    return;
  }
  m_groupKeys.insert(runId, groupKey);
  if (m_groupSeeds && m_runSet.count(runId) != 0) {
    regroup();
    syncAllRuns(false);
    m_groupsDirty = true;
    scheduleReplot();
  }
}

QString CurvePlot::runName(qint64 runId) const {
  const QString name = m_names.value(runId);
  return name.isEmpty() ? tr("run %1").arg(runId) : name;
}

// ---- Controls ----

void CurvePlot::setMetric(const QString& key) {
  chooseMetric(key, true);
}

void CurvePlot::chooseMetric(const QString& key, bool byUser) {
  m_metricChosen = m_metricChosen || byUser;
  if (key == m_metric) {
    return;
  }
  m_metric = key;
  m_metricKey = key.toStdString();
  refreshMetricCombo();
  {
    const QSignalBlocker blocker(m_logYCheck);
    m_logYCheck->setChecked(isLossKey(key));
  }
  updateAxisScales();
  m_smoothing = m_smoothingChoices.value(key, defaultSmoothing(key));
  showSmoothing(m_smoothing);
  syncAllRuns(true);
  m_groupsDirty = true;
  m_autoFit = true;
  rescaleToData();
  replotNow();
  Q_EMIT metricChanged(key);
}

QStringList CurvePlot::availableMetrics() const {
  QStringList keys;
  for (const std::string& key : m_store.keys()) {
    keys.append(QString::fromStdString(key));
  }
  if (!m_metric.isEmpty() && !keys.contains(m_metric)) {
    keys.append(m_metric);
    keys.sort();
  }
  return keys;
}

void CurvePlot::refreshMetricCombo() {
  if (!m_metricChosen) {
    const std::vector<std::string> keys = m_store.keys();
    QString preferred;
    for (const char* candidate : {kTrainLoss, kValidAccuracy}) {
      if (std::binary_search(keys.begin(), keys.end(), std::string(candidate))) {
        preferred = QString::fromLatin1(candidate);
        break;
      }
    }
    if (preferred.isEmpty() && !keys.empty()) {
      preferred = QString::fromStdString(keys.front());
    }
    if (!preferred.isEmpty() && preferred != m_metric) {
      chooseMetric(preferred, false);  // refreshes the combo again
      return;
    }
  }
  const QStringList keys = availableMetrics();
  QStringList shown;
  for (int i = 0; i < m_metricCombo->count(); ++i) {
    shown.append(m_metricCombo->itemText(i));
  }
  const QSignalBlocker blocker(m_metricCombo);
  if (shown != keys) {
    m_metricCombo->clear();
    m_metricCombo->addItems(keys);
  }
  m_metricCombo->setCurrentIndex(keys.indexOf(m_metric));
}

void CurvePlot::setXAxis(XAxis axis) {
  if (axis == m_xAxis) {
    return;
  }
  m_xAxis = axis;
  {
    const QSignalBlocker blocker(m_xAxisCombo);
    m_xAxisCombo->setCurrentIndex(m_xAxisCombo->findData(static_cast<int>(axis)));
  }
  updateAxisScales();
  syncAllRuns(true);
  m_groupsDirty = true;
  m_autoFit = true;
  rescaleToData();
  replotNow();
}

void CurvePlot::setSmoothing(double weight) {
  weight = std::isfinite(weight) ? std::clamp(weight, 0.0, kMaxSmoothing) : kDefaultSmoothingWeight;
  if (!m_metric.isEmpty()) {
    m_smoothingChoices.insert(m_metric, weight);
  }
  applySmoothing(weight);
}

void CurvePlot::setSmoothingChoices(const QHash<QString, double>& choices) {
  m_smoothingChoices.clear();
  for (auto it = choices.cbegin(); it != choices.cend(); ++it) {
    if (std::isfinite(it.value())) {
      m_smoothingChoices.insert(it.key(), std::clamp(it.value(), 0.0, kMaxSmoothing));
    }
  }
  applySmoothing(m_smoothingChoices.value(m_metric, defaultSmoothing(m_metric)));
}

double CurvePlot::defaultSmoothing(const QString& key) const {
  if (isEvaluationKey(key)) {
    return 0.0;
  }
  const std::string stdKey = key.toStdString();
  size_t longest = 0;
  for (qint64 runId : m_runs) {
    if (const CurveSeries* series = m_store.series(runId, stdKey)) {
      longest = std::max(longest, series->size());
    }
  }
  return longest < kFewPoints ? 0.0 : kDefaultSmoothingWeight;
}

void CurvePlot::refreshDefaultSmoothing() {
  if (!m_metric.isEmpty() && !m_smoothingChoices.contains(m_metric)) {
    applySmoothing(defaultSmoothing(m_metric));
  }
}

void CurvePlot::showSmoothing(double weight) {
  const QSignalBlocker blocker(m_smoothingSlider);
  m_smoothingSlider->setValue(static_cast<int>(std::lround(weight * kSliderSteps)));
  m_smoothingLabel->setText(QString::number(weight, 'f', 3));
}

void CurvePlot::applySmoothing(double weight) {
  showSmoothing(weight);
  if (weight == m_smoothing) {
    return;
  }
  m_smoothing = weight;
  for (auto& entry : m_curves) {
    if (const CurveSeries* series = m_store.series(entry.first, m_metricKey)) {
      resmoothCurve(entry.second, *series);
    }
    entry.second.raw->setVisible(m_smoothing > 0.0);  // at 0 both curves are the same
  }
  m_groupsDirty = true;
  replotNow();
}

bool CurvePlot::logX() const {
  return m_plot->xAxis->scaleType() == QCPAxis::stLogarithmic;
}

bool CurvePlot::logY() const {
  return m_plot->yAxis->scaleType() == QCPAxis::stLogarithmic;
}

void CurvePlot::setLogX(bool logarithmic) {
  {
    const QSignalBlocker blocker(m_logXCheck);
    m_logXCheck->setChecked(logarithmic);
  }
  if (logarithmic == logX()) {
    return;
  }
  updateAxisScales();
  rescaleToData();
  replotNow();
}

void CurvePlot::setLogY(bool logarithmic) {
  {
    const QSignalBlocker blocker(m_logYCheck);
    m_logYCheck->setChecked(logarithmic);
  }
  if (logarithmic == logY()) {
    return;
  }
  updateAxisScales();
  rescaleToData();
  replotNow();
}

void CurvePlot::updateAxisScales() {
  // The check boxes hold the wanted scales; the axes follow them.
  const bool wantLogX = m_logXCheck->isChecked();
  const bool wantLogY = m_logYCheck->isChecked();
  QCPAxis* x = m_plot->xAxis;
  QCPAxis* y = m_plot->yAxis;
  x->setScaleType(wantLogX ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  y->setScaleType(wantLogY ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (wantLogX) {
    x->setTicker(QSharedPointer<QCPAxisTickerLog>::create());
  } else if (m_xAxis == XAxis::Elapsed) {
    auto ticker = QSharedPointer<QCPAxisTickerTime>::create();
    ticker->setTimeFormat(QStringLiteral("%h:%m:%s"));
    x->setTicker(ticker);
  } else if (m_xAxis == XAxis::WallClock) {
    auto ticker = QSharedPointer<QCPAxisTickerDateTime>::create();
    ticker->setDateTimeFormat(QStringLiteral("MMM d\nhh:mm:ss"));
    ticker->setDateTimeSpec(Qt::LocalTime);
    x->setTicker(ticker);
  } else {
    x->setTicker(QSharedPointer<QCPAxisTicker>::create());
  }
  y->setTicker(wantLogY ? QSharedPointer<QCPAxisTicker>(QSharedPointer<QCPAxisTickerLog>::create())
                        : QSharedPointer<QCPAxisTicker>::create());
  switch (m_xAxis) {
    case XAxis::Step:
      x->setLabel(tr("Step"));
      break;
    case XAxis::Epoch:
      x->setLabel(tr("Epoch"));
      break;
    case XAxis::Elapsed:
      x->setLabel(tr("Training time (h:mm:ss)"));
      break;
    case XAxis::WallClock:
      x->setLabel(tr("Wall clock (local time)"));
      break;
  }
  y->setLabel(m_metric);
}

void CurvePlot::fit() {
  m_autoFit = true;
  rescaleToData();
  replotNow();
}

void CurvePlot::rescaleToData() {
  if (m_groupsDirty) {
    rebuildGroups();  // the group graphs must hold what is fitted
  }
  if (!m_curves.empty() || !m_drawnGroups.empty()) {
    m_plot->rescaleAxes(true);  // only visible graphs: the raw ones are hidden at smoothing 0
  }
}

// ---- Replots ----

int CurvePlot::replotInterval() const {
  const double drawing = m_plot->replotTime(true);  // milliseconds, averaged over recent replots
  return std::max(kReplotIntervalMs, static_cast<int>(std::ceil(drawing / kReplotShare)));
}

void CurvePlot::scheduleReplot() {
  if (m_replotTimer->isActive()) {
    return;  // merged into the replot already asked for
  }
  const qint64 interval = replotInterval();
  const qint64 elapsed = m_sinceReplot.isValid() ? m_sinceReplot.elapsed() : interval;
  m_replotTimer->start(static_cast<int>(std::max<qint64>(0, interval - elapsed)));
}

void CurvePlot::onScheduledReplot() {
  if (m_groupsDirty) {
    rebuildGroups();
  }
  if (m_autoFit) {
    rescaleToData();
  }
  replotNow();
}

void CurvePlot::updateDrawingQuality() {
  qint64 points = 0;
  for (const auto& entry : m_curves) {
    points += 2 * static_cast<qint64>(entry.second.consumed);  // raw and smoothed
  }
  const bool detailed = points <= kAntialiasPointBudget;
  if (detailed == m_detailed) {
    return;
  }
  m_detailed = detailed;
  for (auto& entry : m_curves) {
    styleCurve(entry.first, entry.second);
  }
}

void CurvePlot::replotNow() {
  if (m_groupsDirty) {
    rebuildGroups();
  }
  updateDrawingQuality();
  const size_t entries = m_curves.size() + m_drawnGroups.size();
  orderLegend();
  placeLegend(entries > 0 && entries <= kLegendMaxRuns);
  updateEmptyState();
  ++m_replotCount;
  m_sinceReplot.start();
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

// ---- Curves ----

double CurvePlot::xOf(qint64 runId, const CurveSeries& series, size_t index) const {
  switch (m_xAxis) {
    case XAxis::Step:
      return static_cast<double>(series.steps[index]);
    case XAxis::Epoch:
      return static_cast<double>(series.epochs[index] + 1);  // stored 0-based, shown 1-based
    case XAxis::Elapsed:
      return series.wallTimes[index];
    case XAxis::WallClock: {
      const QDateTime start = m_startTimes.value(runId);
      return start.isValid()
                 ? static_cast<double>(start.toMSecsSinceEpoch()) / 1000.0 + series.wallTimes[index]
                 : std::numeric_limits<double>::quiet_NaN();
    }
  }
  return 0.0;
}

bool CurvePlot::drawable(qint64 runId) const {
  return m_xAxis != XAxis::WallClock || m_startTimes.value(runId).isValid();
}

void CurvePlot::syncAllRuns(bool rebuild) {
  for (qint64 runId : m_runs) {
    syncRun(runId, rebuild);
  }
}

void CurvePlot::syncRun(qint64 runId, bool rebuild) {
  const CurveSeries* series = m_store.series(runId, m_metricKey);
  if (m_groupedRuns.count(runId) != 0) {
    removeCurve(runId);  // drawn in its group
    m_groupsDirty = true;
    return;
  }
  if (series == nullptr || series->size() == 0 || !drawable(runId)) {
    removeCurve(runId);
    return;
  }
  auto found = m_curves.find(runId);
  if (found == m_curves.end()) {
    RunCurve curve;
    curve.runId = runId;
    curve.raw = m_plot->addGraph();
    curve.raw->setLayer(QString::fromLatin1(kRawLayer));
    curve.raw->removeFromLegend();
    curve.smoothed = m_plot->addGraph();
    for (QCPGraph* graph : {curve.raw, curve.smoothed}) {
      graph->setAdaptiveSampling(true);
      graph->setSelectable(QCP::stNone);
    }
    curve.raw->setVisible(m_smoothing > 0.0);
    found = m_curves.emplace(runId, std::move(curve)).first;
    styleCurve(runId, found->second);
    rebuild = true;
  }
  RunCurve& curve = found->second;
  if (rebuild || curve.generation != series->generation || curve.consumed > series->size()) {
    rebuildCurve(curve, *series);
  } else if (curve.consumed < series->size()) {
    appendNewPoints(curve, *series);
  }
}

void CurvePlot::removeCurve(qint64 runId) {
  auto found = m_curves.find(runId);
  if (found == m_curves.end()) {
    return;
  }
  m_plot->removeGraph(found->second.raw);
  m_plot->removeGraph(found->second.smoothed);
  m_curves.erase(found);
}

void CurvePlot::styleCurve(qint64 runId, RunCurve& curve) {
  const QColor colour = runColour(runId);
  QColor faint = colour;
  faint.setAlphaF(kRawAlpha);
  curve.raw->setPen(QPen(faint, 1.0));
  curve.smoothed->setPen(QPen(colour, m_detailed ? m_style.lineWidth : 1.0));
  curve.raw->setAntialiased(m_detailed);
  curve.smoothed->setAntialiased(m_detailed);
  curve.smoothed->setName(legendName(runName(runId)));
  curve.raw->setName(legendName(runName(runId)));
}

void CurvePlot::appendNewPoints(RunCurve& curve, const CurveSeries& series) {
  const qint64 runId = curve.runId;
  QCPGraphDataContainer& raw = *curve.raw->data();
  QCPGraphDataContainer& smoothed = *curve.smoothed->data();
  const size_t begin = curve.consumed;
  const size_t end = series.size();
  // Appending keeps the graphs sorted only when the new x values continue the old ones in order.
  double previous = raw.isEmpty() ? -std::numeric_limits<double>::infinity() : (raw.constEnd() - 1)->key;
  bool inOrder = curve.order.empty();
  for (size_t i = begin; i < end && inOrder; ++i) {
    const double x = xOf(runId, series, i);
    inOrder = x >= previous;  // false for a NaN x too
    previous = x;
  }
  if (!inOrder) {
    rebuildCurve(curve, series);
    return;
  }
  QVector<QCPGraphData>& rawBatch = m_batches->raw;
  QVector<QCPGraphData>& smoothedBatch = m_batches->smoothed;
  const int count = static_cast<int>(end - begin);
  rawBatch.resize(count);
  smoothedBatch.resize(count);
  bool resmooth = false;
  for (int k = 0; k < count; ++k) {
    const size_t i = begin + static_cast<size_t>(k);
    const double x = xOf(runId, series, i);
    const double value = series.values[i];
    const double smooth = curve.smoother.add(value);
    resmooth = resmooth || curve.smoother.invalidatedEarlier();
    rawBatch[k] = QCPGraphData(x, value);
    smoothedBatch[k] = QCPGraphData(x, smooth);
  }
  appendSorted(raw, rawBatch);
  appendSorted(smoothed, smoothedBatch);
  curve.consumed = end;
  if (resmooth) {
    resmoothCurve(curve, series);  // the series stopped being constant: every earlier value changes
  }
}

void CurvePlot::rebuildCurve(RunCurve& curve, const CurveSeries& series) {
  const qint64 runId = curve.runId;
  const size_t count = series.size();
  curve.order.clear();
  bool inOrder = true;
  for (size_t i = 1; i < count && inOrder; ++i) {
    inOrder = xOf(runId, series, i) >= xOf(runId, series, i - 1);
  }
  if (!inOrder) {
    curve.order.resize(count);
    std::iota(curve.order.begin(), curve.order.end(), size_t{0});
    // Stable, so points sharing an x stay in the order they were written.
    std::stable_sort(curve.order.begin(), curve.order.end(),
                     [&](size_t a, size_t b) { return xOf(runId, series, a) < xOf(runId, series, b); });
  }
  curve.smoother = EmaSmoother(m_smoothing);
  const std::vector<double> smoothedValues = curve.smoother.smoothAll(series.values);
  // Sized with room to grow: the graph containers adopt these buffers, so live appends do not copy them.
  QVector<QCPGraphData> raw;
  QVector<QCPGraphData> smoothed;
  raw.reserve(static_cast<qsizetype>(growthCapacity(count)));
  smoothed.reserve(static_cast<qsizetype>(growthCapacity(count)));
  raw.resize(static_cast<qsizetype>(count));
  smoothed.resize(static_cast<qsizetype>(count));
  for (size_t k = 0; k < count; ++k) {
    const size_t i = curve.order.empty() ? k : curve.order[k];
    const double x = xOf(runId, series, i);
    raw[static_cast<int>(k)] = QCPGraphData(x, series.values[i]);
    smoothed[static_cast<int>(k)] = QCPGraphData(x, smoothedValues[i]);
  }
  curve.raw->data()->set(raw, true);
  curve.smoothed->data()->set(smoothed, true);
  curve.raw->setVisible(m_smoothing > 0.0);  // at 0 both curves are the same
  curve.generation = series.generation;
  curve.consumed = count;
}

void CurvePlot::resmoothCurve(RunCurve& curve, const CurveSeries& series) {
  curve.smoother = EmaSmoother(m_smoothing);
  const std::vector<double> smoothedValues = curve.smoother.smoothAll(series.values);
  // The keys stay, so the values are rewritten in place.
  QCPGraphDataContainer& smoothed = *curve.smoothed->data();
  size_t k = 0;
  for (auto it = smoothed.begin(); it != smoothed.end() && k < curve.consumed; ++it, ++k) {
    it->value = smoothedValues[curve.order.empty() ? k : curve.order[k]];
  }
  // smoothAll left the smoother after the last point of the series, so the graphs must hold all of them
  // (they do: every arriving row is synced at once).
  Q_ASSERT(curve.consumed == series.size());
}

}  // namespace zoolab
