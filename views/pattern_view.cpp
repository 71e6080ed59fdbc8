#include "views/pattern_view.h"

#include "views/position_ticker.h"
#include "views/qcustomplot_include.h"
#include "views/token_axis_labels.h"
#include "views/viridis.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <set>
#include <stdexcept>

#include <QComboBox>
#include <QFontMetrics>
#include <QHBoxLayout>
#include <QLabel>
#include <QMouseEvent>
#include <QShowEvent>
#include <QSpinBox>
#include <QStackedWidget>
#include <QToolTip>
#include <QVBoxLayout>

#include "engine/inspect/inspection.h"
#include "engine/inspect/spectrum.h"

namespace zoolab {

namespace {

// Filters with at most this many taps get a marker per tap.
constexpr int kMarkedTaps = 64;

bool isFilterKind(const std::string& kind) {
  const std::string suffix = "filter";
  return kind.size() >= suffix.size() &&
         kind.compare(kind.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Kinds in the order the picker offers them: the ones a reader compares first, then the rest.
int kindRank(const QString& kind) {
  static const QStringList kFirst = {QStringLiteral("attention"), QStringLiteral("mixing"),
                                     QStringLiteral("filter")};
  const int index = kFirst.indexOf(kind);
  return index < 0 ? static_cast<int>(kFirst.size()) : index;
}

// What the axes and the value of a kind are called (hover text and axis titles).
struct AxisNames {
  QString row;
  QString col;
  QString value;
};

AxisNames axisNames(const QString& kind, bool rowsArePositions, bool colsArePositions) {
  if (kind == QLatin1String("attention")) {
    return {QStringLiteral("from position"), QStringLiteral("to position"), QStringLiteral("attention")};
  }
  if (kind == QLatin1String("mixing")) {
    return {QStringLiteral("output position"), QStringLiteral("input position"),
            QStringLiteral("‖∂y_i/∂x_j‖")};
  }
  return {rowsArePositions ? QStringLiteral("position") : QStringLiteral("row"),
          colsArePositions ? QStringLiteral("position") : QStringLiteral("column"), kind};
}

QString formatValue(double value) {
  return QString::number(value, 'g', 4);
}

}  // namespace

PatternView::PatternView(QWidget* parent) : QWidget(parent) {
  buildControls();
  buildPlots();

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(6, 6, 6, 6);
  auto* pickers = new QHBoxLayout;
  pickers->setContentsMargins(0, 0, 0, 0);
  pickers->addWidget(m_sourceBar);
  const auto addPicker = [&](const QString& label, QWidget* widget) {
    auto* text = new QLabel(label, this);
    text->setBuddy(widget);
    pickers->addWidget(text);
    pickers->addWidget(widget);
    return text;
  };
  addPicker(tr("&Layer"), m_layerCombo);
  addPicker(tr("&Kind"), m_kindCombo);
  addPicker(tr("&Head"), m_headCombo);
  m_channelLabel = addPicker(tr("&Channel"), m_channelSpin);
  pickers->addStretch(1);
  layout->addLayout(pickers);
  layout->addWidget(m_message);
  layout->addWidget(m_stack, 1);

  m_sourceBar->setVisible(false);
  clear();
}

PatternView::~PatternView() = default;

void PatternView::buildControls() {
  m_sourceBar = new QWidget(this);
  auto* source = new QHBoxLayout(m_sourceBar);
  source->setContentsMargins(0, 0, 12, 0);
  m_stepCombo = new QComboBox(m_sourceBar);
  m_stepCombo->setObjectName(QStringLiteral("stepCombo"));
  m_stepCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_exampleCombo = new QComboBox(m_sourceBar);
  m_exampleCombo->setObjectName(QStringLiteral("exampleCombo"));
  m_exampleCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  auto* stepLabel = new QLabel(tr("&Step"), m_sourceBar);
  stepLabel->setBuddy(m_stepCombo);
  auto* exampleLabel = new QLabel(tr("E&xample"), m_sourceBar);
  exampleLabel->setBuddy(m_exampleCombo);
  source->addWidget(stepLabel);
  source->addWidget(m_stepCombo);
  source->addWidget(exampleLabel);
  source->addWidget(m_exampleCombo);

  m_layerCombo = new QComboBox(this);
  m_layerCombo->setObjectName(QStringLiteral("layerCombo"));
  m_layerCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_kindCombo = new QComboBox(this);
  m_kindCombo->setObjectName(QStringLiteral("kindCombo"));
  m_kindCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_headCombo = new QComboBox(this);
  m_headCombo->setObjectName(QStringLiteral("headCombo"));
  m_headCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_channelSpin = new QSpinBox(this);
  m_channelSpin->setObjectName(QStringLiteral("channelSpin"));
  m_channelSpin->setRange(0, 0);

  m_message = new QLabel(this);
  m_message->setObjectName(QStringLiteral("patternMessage"));
  m_message->setWordWrap(true);
  m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);

  connect(m_stepCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (!m_updatingPickers && index >= 0) {
      setStep(m_stepCombo->itemData(index).toLongLong());
    }
  });
  connect(m_exampleCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (!m_updatingPickers && index >= 0) {
      setExample(m_exampleCombo->itemData(index).toLongLong());
    }
  });
  connect(m_layerCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (!m_updatingPickers && index >= 0) {
      setLayer(m_layerCombo->itemData(index).toInt());
    }
  });
  connect(m_kindCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (!m_updatingPickers && index >= 0) {
      setKind(m_kindCombo->itemData(index).toString());
    }
  });
  connect(m_headCombo, &QComboBox::currentIndexChanged, this, [this](int index) {
    if (!m_updatingPickers && index >= 0) {
      setHead(m_headCombo->itemData(index).toInt());
    }
  });
  connect(m_channelSpin, &QSpinBox::valueChanged, this, [this](int value) {
    if (!m_updatingPickers) {
      setChannel(value);
    }
  });
}

void PatternView::buildPlots() {
  m_heatPlot = new QCustomPlot(this);
  m_heatPlot->setObjectName(QStringLiteral("heatmapPlot"));
  m_heatPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  m_heatPlot->setMouseTracking(true);  // hover values need moves without a button held
  m_heatPlot->setBackground(Qt::white);
  m_heatPlot->setMinimumSize(240, 200);
  QCPAxisRect* rect = m_heatPlot->axisRect();
  // Rows grow downwards, as a matrix is read: position 0 at the top left.
  rect->axis(QCPAxis::atLeft)->setRangeReversed(true);
  rect->axis(QCPAxis::atBottom)->setTickLabelRotation(-60.0);
  for (QCPAxis* axis : {rect->axis(QCPAxis::atLeft), rect->axis(QCPAxis::atBottom)}) {
    axis->grid()->setVisible(false);
  }
  m_colorMap = new QCPColorMap(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
  m_colorMap->setInterpolate(false);  // one cell per pair of positions, sharp at any zoom
  m_colorMap->setTightBoundary(false);
  m_colorScale = new QCPColorScale(m_heatPlot);
  m_heatPlot->plotLayout()->addElement(0, 1, m_colorScale);
  m_colorScale->setType(QCPAxis::atRight);
  m_colorScale->setBarWidth(12);
  m_colorMap->setColorScale(m_colorScale);
  // The value's name runs down the bar's right side. QCustomPlot sizes that margin by the label font's
  // line, but the mixing matrix's ‖∂y_i/∂x_j‖ is drawn partly from a taller fallback font and was cut at
  // the plot's edge: leave half a line more.
  m_colorScale->axis()->setPadding(QFontMetrics(m_colorScale->axis()->labelFont()).height() / 2 + 2);
  m_colorMap->setGradient(viridis());
  auto* margins = new QCPMarginGroup(m_heatPlot);
  rect->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
  m_colorScale->setMarginGroup(QCP::msTop | QCP::msBottom, margins);
  connect(m_heatPlot, &QCustomPlot::mouseMove, this, &PatternView::onHeatmapMouseMove);
  connect(m_heatPlot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) {
    // Back to the whole matrix after zooming in.
    m_colorMap->rescaleAxes();
    m_heatPlot->replot(QCustomPlot::rpQueuedReplot);
  });

  m_filterPlot = new QCustomPlot(this);
  m_filterPlot->setObjectName(QStringLiteral("filterPlot"));
  m_filterPlot->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom);
  m_filterPlot->setBackground(Qt::white);
  m_filterPlot->plotLayout()->clear();
  auto* tapsRect = new QCPAxisRect(m_filterPlot);
  auto* spectrumRect = new QCPAxisRect(m_filterPlot);
  m_filterPlot->plotLayout()->addElement(0, 0, tapsRect);
  m_filterPlot->plotLayout()->addElement(0, 1, spectrumRect);
  tapsRect->axis(QCPAxis::atBottom)->setLabel(tr("tap"));
  tapsRect->axis(QCPAxis::atLeft)->setLabel(tr("weight"));
  spectrumRect->axis(QCPAxis::atBottom)->setLabel(tr("frequency (cycles per tap)"));
  spectrumRect->axis(QCPAxis::atLeft)->setLabel(tr("|DFT|"));
  m_tapsGraph = m_filterPlot->addGraph(tapsRect->axis(QCPAxis::atBottom), tapsRect->axis(QCPAxis::atLeft));
  m_spectrumGraph =
      m_filterPlot->addGraph(spectrumRect->axis(QCPAxis::atBottom), spectrumRect->axis(QCPAxis::atLeft));
  m_tapsGraph->setPen(QPen(QColor(0x3b, 0x52, 0x8b), 1.5));
  m_spectrumGraph->setPen(QPen(QColor(0x21, 0x91, 0x8c), 1.5));
  for (QCPGraph* graph : {m_tapsGraph, m_spectrumGraph}) {
    graph->setAntialiased(true);
    graph->setSelectable(QCP::stNone);
  }
  connect(m_filterPlot, &QCustomPlot::mouseDoubleClick, this, [this](QMouseEvent*) {
    m_tapsGraph->rescaleAxes();
    m_spectrumGraph->rescaleAxes();
    m_filterPlot->replot(QCustomPlot::rpQueuedReplot);
  });

  m_stack = new QStackedWidget(this);
  m_stack->addWidget(m_heatPlot);
  m_stack->addWidget(m_filterPlot);
}

// ---- Sources ----

void PatternView::setPatterns(std::vector<PatternRecord> patterns, std::vector<int64_t> tokens,
                              std::vector<QueryFacts> queries) {
  m_databaseMode = false;
  m_sourceBar->setVisible(false);
  applyPatterns(std::move(patterns), std::move(tokens), std::move(queries));
}

void PatternView::clear(const QString& message) {
  m_patterns.clear();
  m_tokens.clear();
  m_roles.clear();
  refreshPickers();
  draw();
  setMessage(message.isEmpty() ? tr("No patterns to show.") : message);
}

void PatternView::setDatabasePath(const QString& path) {
  if (path == m_databasePath) {
    return;
  }
  m_databasePath = path;
  m_loading = false;  // an answer about the previous database is dropped (setData)
  m_pending = false;
  m_split.reset();
  if (m_databaseMode) {
    m_steps.clear();
    m_step = -1;
    m_example = -1;
    if (isVisible()) {
      reloadRun();
    } else {
      m_stale = true;
    }
  }
}

void PatternView::setRun(qint64 runId) {
  const bool same = m_databaseMode && runId == m_runId;
  m_databaseMode = true;
  m_sourceBar->setVisible(true);
  if (same) {
    return;
  }
  m_runId = runId;
  m_steps.clear();
  m_step = -1;
  m_wantedStep = -1;
  m_example = -1;
  m_stepPatterns.clear();
  m_split.reset();
  if (isVisible()) {
    reloadRun();
  } else {
    m_stale = true;
  }
}

void PatternView::refresh() {
  if (!m_databaseMode) {
    return;
  }
  if (isVisible()) {
    reloadRun();
  } else {
    m_stale = true;
  }
}

void PatternView::followStep(qint64 step) {
  if (step < 0) {
    return;
  }
  m_wantedStep = step;
  refresh();
}

void PatternView::showEvent(QShowEvent* event) {
  QWidget::showEvent(event);
  if (m_databaseMode && m_stale) {
    reloadRun();
  }
}

QList<qint64> PatternView::examples() const {
  QList<qint64> examples;
  for (int i = 0; i < m_exampleCombo->count(); ++i) {
    examples.append(m_exampleCombo->itemData(i).toLongLong());
  }
  return examples;
}

bool PatternView::setStep(qint64 step) {
  if (!m_databaseMode || !m_steps.contains(step)) {
    return false;
  }
  if (step != m_step) {
    m_wantedStep = step;
    reloadRun();
  }
  return true;
}

bool PatternView::setExample(qint64 example) {
  if (!m_databaseMode || !examples().contains(example)) {
    return false;
  }
  if (example != m_example) {
    showExample(example);
  }
  return true;
}

void PatternView::reloadRun() {
  m_stale = false;
  if (m_runId <= 0 || m_databasePath.isEmpty()) {
    m_updatingPickers = true;
    m_stepCombo->clear();
    m_exampleCombo->clear();
    m_updatingPickers = false;
    m_steps.clear();
    clear(tr("Select a run to see the patterns stored at its evaluations."));
    return;
  }
  if (m_loading) {
    m_pending = true;
    return;
  }
  m_loading = true;
  Q_EMIT loadRequested({m_runId, m_wantedStep, m_step});
}

void PatternView::setData(std::shared_ptr<const PatternData> data) {
  if (!data || data->databasePath != m_databasePath) {
    return;
  }
  m_loading = false;
  const bool current = data->runId == m_runId && m_databaseMode;
  if (current) {
    if (!m_pending) {
      m_wantedStep = -1;
    }
    m_updatingPickers = true;
    m_stepCombo->clear();
    m_exampleCombo->clear();
    m_steps.clear();
    for (const int64_t step : data->steps) {
      m_steps.append(step);
      m_stepCombo->addItem(tr("step %1").arg(step), QVariant::fromValue<qint64>(step));
    }
    m_stepCombo->setCurrentIndex(m_steps.indexOf(data->step));
    m_updatingPickers = false;
    m_step = data->step;
    m_stepPatterns = data->patterns;
    m_split = data->split;
    m_splitError = data->splitError;
    std::set<int64_t> examples;
    for (const PatternRecord& record : m_stepPatterns) {
      examples.insert(record.example);
    }
    m_updatingPickers = true;
    for (const int64_t example : examples) {
      m_exampleCombo->addItem(tr("example %1").arg(example), QVariant::fromValue<qint64>(example));
    }
    m_updatingPickers = false;
    if (!data->error.isEmpty()) {
      m_stepPatterns.clear();
      clear(data->error);
    } else if (m_steps.isEmpty()) {
      clear(tr("Run %1 has no stored patterns yet. They are written at every evaluation for the first "
               "train.inspect.pattern_examples test examples (use the Probe for any other sequence).")
                .arg(m_runId));
    } else if (examples.empty()) {
      clear(tr("Run %1 stored no patterns at step %2.").arg(m_runId).arg(m_step));
    } else {
      const qint64 example = examples.count(m_example) ? m_example : *examples.begin();
      m_example = -1;
      showExample(example);
    }
  }
  if (m_pending) {
    m_pending = false;
    reloadRun();
  }
}

void PatternView::showExample(qint64 example) {
  m_example = example;
  {
    const QSignalBlocker blocker(m_exampleCombo);
    m_exampleCombo->setCurrentIndex(m_exampleCombo->findData(QVariant::fromValue<qint64>(example)));
  }
  std::vector<PatternRecord> patterns;
  for (const PatternRecord& record : m_stepPatterns) {
    if (record.example == example) {
      patterns.push_back(record);
    }
  }
  std::vector<int64_t> tokens;
  std::vector<QueryFacts> queries;
  const bool haveTokens = exampleTokens(example, &tokens, &queries);
  const QString warning = message();
  applyPatterns(std::move(patterns), std::move(tokens), std::move(queries));
  if (!haveTokens) {
    setMessage(warning);  // why the axes show positions rather than tokens
  }
}

bool PatternView::exampleTokens(qint64 example, std::vector<int64_t>* tokens,
                                std::vector<QueryFacts>* queries) {
  try {
    if (!m_split) {
      throw std::runtime_error(m_splitError.toStdString());
    }
    const TestExample test = test_example(*m_split, example);
    const TokenSegment& segment = m_split->at(static_cast<size_t>(test.segment));
    *queries = task_query_facts(segment.task, test.inputs.data(), test.labels.data(), segment.seq_len,
                                segment.slices);
    *tokens = test.inputs;
    return true;
  } catch (const std::exception& error) {
    setMessage(tr("The tokens of example %1 could not be regenerated (%2); the axes show positions.")
                   .arg(example)
                   .arg(QString::fromUtf8(error.what())));
    return false;
  }
}

void PatternView::applyPatterns(std::vector<PatternRecord> patterns, std::vector<int64_t> tokens,
                                std::vector<QueryFacts> queries) {
  m_patterns = std::move(patterns);
  m_tokens = std::move(tokens);
  m_roles.clear();
  const int length = static_cast<int>(m_tokens.size());
  for (const QueryFacts& query : queries) {
    if (query.key_position >= 0 && query.key_position < length) {
      m_roles[query.key_position] = QStringLiteral("k");
    }
    if (query.key_position >= 0 && query.key_position + 1 < length) {
      m_roles[query.key_position + 1] = QStringLiteral("v");
    }
  }
  // A query is marked as one even where its key also occurs earlier as a queried key.
  for (const QueryFacts& query : queries) {
    if (query.position >= 0 && query.position < length) {
      m_roles[query.position] = QStringLiteral("q");
    }
  }
  setMessage(m_patterns.empty() ? tr("No patterns to show.") : QString());
  refreshPickers();
  draw();
}

// ---- Pickers ----

QList<int> PatternView::layers() const {
  std::set<int> layers;
  for (const PatternRecord& record : m_patterns) {
    layers.insert(static_cast<int>(record.layer));
  }
  return QList<int>(layers.begin(), layers.end());
}

QStringList PatternView::kinds() const {
  QStringList kinds;
  for (const PatternRecord& record : m_patterns) {
    const QString kind = QString::fromStdString(record.kind);
    if (record.layer == m_layer && !kinds.contains(kind)) {
      kinds.append(kind);
    }
  }
  std::sort(kinds.begin(), kinds.end(), [](const QString& a, const QString& b) {
    return std::make_pair(kindRank(a), a) < std::make_pair(kindRank(b), b);
  });
  return kinds;
}

QList<int> PatternView::heads() const {
  std::set<int> heads;
  const std::string kind = m_kind.toStdString();
  for (const PatternRecord& record : m_patterns) {
    if (record.layer == m_layer && record.kind == kind) {
      heads.insert(static_cast<int>(record.head));
    }
  }
  return QList<int>(heads.begin(), heads.end());
}

bool PatternView::setLayer(int layer) {
  if (!layers().contains(layer)) {
    return false;
  }
  if (layer != m_layer) {
    m_layer = layer;
    refreshPickers();
    draw();
  }
  return true;
}

bool PatternView::setKind(const QString& kind) {
  if (!kinds().contains(kind)) {
    return false;
  }
  if (kind != m_kind) {
    m_kind = kind;
    refreshPickers();
    draw();
  }
  return true;
}

bool PatternView::setHead(int head) {
  if (!heads().contains(head)) {
    return false;
  }
  if (head != m_head) {
    m_head = head;
    refreshPickers();
    draw();
  }
  return true;
}

void PatternView::setChannel(int channel) {
  const PatternRecord* record = shownPattern();
  const int channels = record && m_showsFilter ? static_cast<int>(record->rows) : 1;
  channel = std::clamp(channel, 0, std::max(0, channels - 1));
  if (channel != m_channel) {
    m_channel = channel;
    refreshPickers();
    draw();
  }
}

void PatternView::refreshPickers() {
  // Keep what is shown where the patterns have it; otherwise the first layer, the most telling kind
  // (attention, then mixing) and the first head.
  const QList<int> layerList = layers();
  if (!layerList.contains(m_layer)) {
    m_layer = layerList.isEmpty() ? -1 : layerList.front();
  }
  const QStringList kindList = kinds();
  if (!kindList.contains(m_kind)) {
    m_kind = kindList.isEmpty() ? QString() : kindList.front();
  }
  const QList<int> headList = heads();
  if (!headList.contains(m_head)) {
    m_head = headList.isEmpty() ? -1 : headList.front();
  }

  m_updatingPickers = true;
  m_layerCombo->clear();
  for (const int layer : layerList) {
    m_layerCombo->addItem(QString::number(layer), layer);
  }
  m_layerCombo->setCurrentIndex(layerList.indexOf(m_layer));
  m_kindCombo->clear();
  for (const QString& kind : kindList) {
    m_kindCombo->addItem(kind, kind);
  }
  m_kindCombo->setCurrentIndex(kindList.indexOf(m_kind));
  m_headCombo->clear();
  for (const int head : headList) {
    m_headCombo->addItem(head < 0 ? tr("all") : QString::number(head), head);
  }
  m_headCombo->setCurrentIndex(headList.indexOf(m_head));
  m_layerCombo->setEnabled(layerList.size() > 1);
  m_kindCombo->setEnabled(kindList.size() > 1);
  m_headCombo->setEnabled(headList.size() > 1);

  int channels = 0;
  const std::string kind = m_kind.toStdString();
  for (const PatternRecord& record : m_patterns) {
    if (record.layer == m_layer && record.kind == kind && record.head == m_head) {
      channels = isFilterKind(kind) ? static_cast<int>(record.rows) : 0;
      break;
    }
  }
  m_channelSpin->setRange(0, std::max(0, channels - 1));
  m_channel = std::clamp(m_channel, 0, std::max(0, channels - 1));
  m_channelSpin->setValue(m_channel);
  m_channelSpin->setVisible(channels > 0);
  m_channelLabel->setVisible(channels > 0);
  m_updatingPickers = false;
}

// ---- Drawing ----

const PatternRecord* PatternView::shownPattern() const {
  return m_shown >= 0 && m_shown < static_cast<int>(m_patterns.size())
             ? &m_patterns[static_cast<size_t>(m_shown)]
             : nullptr;
}

void PatternView::draw() {
  m_shown = -1;
  const std::string kind = m_kind.toStdString();
  for (size_t i = 0; i < m_patterns.size(); ++i) {
    const PatternRecord& record = m_patterns[i];
    if (record.layer == m_layer && record.kind == kind && record.head == m_head) {
      m_shown = static_cast<int>(i);
      break;
    }
  }
  const PatternRecord* record = shownPattern();
  if (record && (record->rows <= 0 || record->cols <= 0 ||
                 static_cast<int64_t>(record->values.size()) != record->rows * record->cols)) {
    setMessage(tr("Layer %1's %2 pattern is malformed: %3 values for a %4 × %5 matrix.")
                   .arg(record->layer)
                   .arg(m_kind)
                   .arg(record->values.size())
                   .arg(record->rows)
                   .arg(record->cols));
    record = nullptr;
    m_shown = -1;
  }
  m_showsFilter = record && isFilterKind(record->kind);
  m_taps.clear();
  m_spectrum.clear();
  if (!record) {
    m_colorMap->data()->clear();
    m_colorMap->setVisible(false);
    m_mapRows = 0;
    m_mapCols = 0;
    m_stack->setCurrentWidget(m_heatPlot);
    m_heatPlot->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  if (m_showsFilter) {
    drawFilter(*record);
    m_stack->setCurrentWidget(m_filterPlot);
  } else {
    drawHeatmap(*record);
    m_stack->setCurrentWidget(m_heatPlot);
  }
  ++m_drawCount;
  Q_EMIT patternShown();
}

void PatternView::drawHeatmap(const PatternRecord& record) {
  const int rows = static_cast<int>(record.rows);
  const int cols = static_cast<int>(record.cols);
  QCPColorMapData* data = m_colorMap->data();
  const bool sameShape = m_mapRows == rows && m_mapCols == cols;
  m_mapRows = rows;
  m_mapCols = cols;
  // QCustomPlot draws a map dimension of one cell with no width, so a single row or column is stored
  // twice over half the span; shownValues() reads the first copy.
  const int keySize = std::max(2, cols);
  const int valueSize = std::max(2, rows);
  data->setSize(keySize, valueSize);
  data->setRange(cols == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, cols - 1),
                 rows == 1 ? QCPRange(-0.25, 0.25) : QCPRange(0, rows - 1));
  double low = std::numeric_limits<double>::infinity();
  double high = -std::numeric_limits<double>::infinity();
  for (int r = 0; r < valueSize; ++r) {
    const int row = std::min(r, rows - 1);
    for (int c = 0; c < keySize; ++c) {
      const int col = std::min(c, cols - 1);
      const double value = record.values[static_cast<size_t>(row) * cols + col];
      data->setCell(c, r, value);
      if (std::isfinite(value)) {
        low = std::min(low, value);
        high = std::max(high, value);
      }
    }
  }
  m_colorMap->setVisible(true);
  if (!std::isfinite(low)) {
    low = 0.0;
    high = 1.0;
  } else if (!(high > low)) {
    low -= 0.5;
    high += 0.5;
  }
  m_colorMap->setDataRange(QCPRange(low, high));

  const int length = static_cast<int>(m_tokens.size());
  const bool rowTokens = rows == length && length > 0;
  const bool colTokens = cols == length && length > 0;
  const AxisNames names = axisNames(m_kind, rowTokens || (rows > 1 && rows == cols), colTokens);
  QCPAxis* xAxis = m_heatPlot->axisRect()->axis(QCPAxis::atBottom);
  QCPAxis* yAxis = m_heatPlot->axisRect()->axis(QCPAxis::atLeft);
  // Token axes move ticks off filler onto the queries, keys and values near them.
  const auto ticker = [&](int count, bool tokens) -> QSharedPointer<QCPAxisTicker> {
    if (tokens) {
      return QSharedPointer<TokenAxisTicker>::create(m_tokens, m_roles);
    }
    return QSharedPointer<PositionTicker>::create(positionAxisLabels(count));
  };
  xAxis->setTicker(ticker(cols, colTokens));
  yAxis->setTicker(ticker(rows, rowTokens));
  const QString tokenNote = tokenAxisNote(m_tokens, m_roles);
  xAxis->setLabel(colTokens ? names.col + tokenNote : names.col);
  yAxis->setLabel(rowTokens ? names.row + tokenNote : names.row);
  m_colorScale->axis()->setLabel(names.value);
  // A new shape starts from the whole matrix; the same shape (another head or layer) keeps the zoom, so
  // one region can be compared across heads.
  if (!sameShape) {
    xAxis->setRange(-0.5, cols - 0.5);
    yAxis->setRange(-0.5, rows - 0.5);
  }
  m_heatPlot->replot(QCustomPlot::rpQueuedReplot);
}

void PatternView::drawFilter(const PatternRecord& record) {
  const int channels = static_cast<int>(record.rows);
  const int taps = static_cast<int>(record.cols);
  m_channel = std::clamp(m_channel, 0, channels - 1);
  const float* row = record.values.data() + static_cast<size_t>(m_channel) * taps;
  QVector<double> keys;
  for (int t = 0; t < taps; ++t) {
    keys.append(t);
    m_taps.append(row[t]);
  }
  const std::vector<double> spectrum = magnitude_spectrum(row, static_cast<size_t>(taps));
  QVector<double> frequencies;
  for (size_t k = 0; k < spectrum.size(); ++k) {
    frequencies.append(static_cast<double>(k) / taps);
    m_spectrum.append(spectrum[k]);
  }
  m_tapsGraph->setData(keys, m_taps, /*alreadySorted=*/true);
  m_spectrumGraph->setData(frequencies, m_spectrum, /*alreadySorted=*/true);
  const QCPScatterStyle marker(taps <= kMarkedTaps ? QCPScatterStyle::ssCircle : QCPScatterStyle::ssNone,
                               4.0);
  m_tapsGraph->setScatterStyle(marker);
  m_spectrumGraph->setScatterStyle(marker);
  m_tapsGraph->rescaleAxes();
  m_spectrumGraph->rescaleAxes();
  // Room around the curves, and |DFT| from zero so a flat spectrum reads as flat rather than as noise.
  for (QCPGraph* graph : {m_tapsGraph, m_spectrumGraph}) {
    QCPAxis* key = graph->keyAxis();
    const double pad = std::max(key->range().size() * 0.03, 0.5 / taps);
    key->setRange(key->range().lower - pad, key->range().upper + pad);
    QCPAxis* value = graph->valueAxis();
    QCPRange range = value->range();
    if (graph == m_spectrumGraph) {
      range.lower = 0.0;
    }
    const double span = range.size() > 0 ? range.size() : std::max(std::abs(range.upper), 1.0);
    value->setRange(range.lower - (graph == m_spectrumGraph ? 0.0 : 0.05 * span), range.upper + 0.05 * span);
  }
  m_filterPlot->replot(QCustomPlot::rpQueuedReplot);
}

void PatternView::setMessage(const QString& message) {
  m_message->setText(message);
  m_message->setVisible(!message.isEmpty());
}

QString PatternView::message() const {
  return m_message->text();
}

int PatternView::shownRows() const {
  const PatternRecord* record = shownPattern();
  return record && !m_showsFilter ? static_cast<int>(record->rows) : 0;
}

int PatternView::shownCols() const {
  const PatternRecord* record = shownPattern();
  return record && !m_showsFilter ? static_cast<int>(record->cols) : 0;
}

QVector<double> PatternView::shownValues() const {
  QVector<double> values;
  const int rows = shownRows();
  const int cols = shownCols();
  values.reserve(rows * cols);
  for (int r = 0; r < rows; ++r) {
    for (int c = 0; c < cols; ++c) {
      values.append(m_colorMap->data()->cell(c, r));
    }
  }
  return values;
}

QVector<double> PatternView::shownTaps() const {
  return m_taps;
}

QVector<double> PatternView::shownSpectrum() const {
  return m_spectrum;
}

QString PatternView::tokenLabel(int position) const {
  if (position < 0 || position >= static_cast<int>(m_tokens.size())) {
    return QString::number(position);
  }
  const QString token = QString::number(m_tokens[static_cast<size_t>(position)]);
  const auto role = m_roles.find(position);
  return role == m_roles.end() ? token : role->second + QLatin1Char(' ') + token;
}

// ---- Hover ----

bool PatternView::cellAt(const QPointF& pixel, int* row, int* col) const {
  const int rows = shownRows();
  const int cols = shownCols();
  QCPAxisRect* rect = m_heatPlot->axisRect();
  if (rows == 0 || !rect->rect().contains(pixel.toPoint())) {
    return false;
  }
  const long c = std::lround(rect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()));
  const long r = std::lround(rect->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y()));
  if (c < 0 || c >= cols || r < 0 || r >= rows) {
    return false;
  }
  *row = static_cast<int>(r);
  *col = static_cast<int>(c);
  return true;
}

QString PatternView::hoverText(int row, int col) const {
  const PatternRecord* record = shownPattern();
  const int rows = shownRows();
  const int cols = shownCols();
  if (!record || row < 0 || row >= rows || col < 0 || col >= cols) {
    return QString();
  }
  const int length = static_cast<int>(m_tokens.size());
  const bool rowTokens = rows == length && length > 0;
  const bool colTokens = cols == length && length > 0;
  const AxisNames names = axisNames(m_kind, rowTokens || (rows > 1 && rows == cols), colTokens);
  const auto line = [&](const QString& name, int index, bool tokens) {
    return tokens ? QStringLiteral("%1 %2: %3").arg(name).arg(index).arg(tokenLabel(index))
                  : QStringLiteral("%1 %2").arg(name).arg(index);
  };
  const double value = record->values[static_cast<size_t>(row) * cols + col];
  return line(names.row, row, rowTokens) + QLatin1Char('\n') + line(names.col, col, colTokens) +
         QLatin1Char('\n') + QStringLiteral("%1 = %2").arg(names.value, formatValue(value));
}

void PatternView::onHeatmapMouseMove(QMouseEvent* event) {
  int row = 0;
  int col = 0;
  if (event->buttons() == Qt::NoButton && cellAt(event->position(), &row, &col)) {
    QToolTip::showText(event->globalPosition().toPoint(), hoverText(row, col), m_heatPlot);
  } else {
    QToolTip::hideText();
  }
}

}  // namespace zoolab
