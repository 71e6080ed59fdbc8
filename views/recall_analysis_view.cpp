#include "views/recall_analysis_view.h"

#include "views/qcustomplot_include.h"
#include "views/view_colours.h"
#include "views/viridis.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMouseEvent>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QToolTip>
#include <QVBoxLayout>

namespace zoolab {

namespace {

constexpr double kHoverRadiusPx = 16.0;
constexpr double kAccuracyLow = -0.03;  // a sliver beyond 0 and 1, so points at the bounds show whole
constexpr double kAccuracyHigh = 1.03;

// Ticks at multiples of `step` only (gaps, pair indices, epochs are whole numbers, gaps often all even),
// as many as read well.
QSharedPointer<QCPAxisTicker> integerTicker(int64_t step = 1) {
  auto ticker = QSharedPointer<QCPAxisTickerFixed>::create();
  ticker->setTickStep(static_cast<double>(std::max<int64_t>(1, step)));
  ticker->setScaleStrategy(QCPAxisTickerFixed::ssMultiples);
  return ticker;
}

QStandardItem* textItem(const QString& text) {
  auto* item = new QStandardItem(text);
  item->setEditable(false);
  return item;
}

QStandardItem* numberItem(qint64 value) {
  auto* item = textItem(QString::number(value));
  item->setData(QVariant::fromValue(value), RecallAnalysisView::RawRole);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

QStandardItem* realItem(double value, int decimals = 4) {
  auto* item = textItem(QString::number(value, 'f', decimals));
  item->setData(value, RecallAnalysisView::RawRole);
  item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
  return item;
}

// Whether any run's queries name a stored pair (MQAR's kv index). Tasks whose queries do not (circuits,
// copying, MAD's recall) show accuracy by query position in that panel instead.
bool anyKvIndex(const std::vector<RecallAnalysisView::Run>& runs) {
  for (const auto& run : runs) {
    for (const AccuracyBin& bin : run.summary.by_kv_index) {
      if (bin.value >= 0) {
        return true;
      }
    }
  }
  return false;
}

const std::vector<AccuracyBin>& binsOf(const RecallSummary& summary, RecallAnalysisView::Panel panel,
                                       const std::string& sliceKey, bool byPosition) {
  static const std::vector<AccuracyBin> kNone;
  switch (panel) {
    case RecallAnalysisView::Panel::Gap:
      return summary.by_gap;
    case RecallAnalysisView::Panel::KvIndex:
      return byPosition ? summary.by_position : summary.by_kv_index;
    case RecallAnalysisView::Panel::Slice: {
      const auto it = summary.by_slice.find(sliceKey);
      return it == summary.by_slice.end() ? kNone : it->second;
    }
  }
  return kNone;
}

QString panelTitle(RecallAnalysisView::Panel panel, const QString& sliceKey, bool byPosition) {
  switch (panel) {
    case RecallAnalysisView::Panel::Gap:
      return RecallAnalysisView::tr("Accuracy by gap (query position − its key or source)");
    case RecallAnalysisView::Panel::KvIndex:
      return byPosition ? RecallAnalysisView::tr("Accuracy by query position")
                        : RecallAnalysisView::tr("Accuracy by key-value pair");
    case RecallAnalysisView::Panel::Slice:
      return sliceKey.isEmpty() ? RecallAnalysisView::tr("Accuracy by slice")
                                : RecallAnalysisView::tr("Accuracy by %1 (mean over examples)").arg(sliceKey);
  }
  return QString();
}

QString panelAxis(RecallAnalysisView::Panel panel, const QString& sliceKey, bool byPosition) {
  switch (panel) {
    case RecallAnalysisView::Panel::Gap:
      return RecallAnalysisView::tr("gap (tokens)");
    case RecallAnalysisView::Panel::KvIndex:
      return byPosition ? RecallAnalysisView::tr("query position")
                        : RecallAnalysisView::tr("kv index (pair of the context)");
    case RecallAnalysisView::Panel::Slice:
      return sliceKey;
  }
  return QString();
}

}  // namespace

RecallAnalysisView::RecallAnalysisView(QWidget* parent) : QWidget(parent) {
  m_sliceCombo = new QComboBox(this);
  m_sliceCombo->setObjectName(QStringLiteral("sliceCombo"));
  m_sliceCombo->setToolTip(tr("The slice of the test set the third plot groups examples by"));
  m_sliceCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_message = new QLabel(this);
  m_message->setObjectName(QStringLiteral("messageLabel"));
  m_message->setWordWrap(true);
  m_message->setForegroundRole(QPalette::PlaceholderText);

  m_plot = new QCustomPlot(this);
  m_plot->setObjectName(QStringLiteral("recallPlot"));
  m_plot->setAutoAddPlottableToLegend(false);
  m_plot->setBackground(Qt::white);  // as the dashboards' figures: white in a dark theme too
  m_plot->setMouseTracking(true);
  m_plot->setMinimumHeight(360);
  connect(m_plot, &QCustomPlot::mouseMove, this, &RecallAnalysisView::onMouseMove);

  m_summaryModel = new QStandardItemModel(this);
  m_numbersModel = new QStandardItemModel(this);
  m_summaryTable = new QTableView(this);
  m_summaryTable->setObjectName(QStringLiteral("summaryTable"));
  m_numbersTable = new QTableView(this);
  m_numbersTable->setObjectName(QStringLiteral("numbersTable"));
  for (QTableView* table : {m_summaryTable, m_numbersTable}) {
    table->setModel(table == m_summaryTable ? m_summaryModel : m_numbersModel);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->verticalHeader()->setVisible(false);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 6);
    table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table->setAlternatingRowColors(true);
  }

  auto* top = new QHBoxLayout;
  top->addWidget(new QLabel(tr("Slice:"), this));
  top->addWidget(m_sliceCombo);
  top->addSpacing(12);
  top->addWidget(m_message, 1);
  top->addStretch(0);  // takes the room while the message is hidden
  m_sliceCombo->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);

  auto* tables = new QSplitter(Qt::Horizontal, this);
  tables->addWidget(m_summaryTable);
  tables->addWidget(m_numbersTable);
  tables->setStretchFactor(0, 3);
  tables->setStretchFactor(1, 2);
  auto* body = new QSplitter(Qt::Vertical, this);
  body->addWidget(m_plot);
  body->addWidget(tables);
  body->setStretchFactor(0, 4);
  body->setStretchFactor(1, 1);
  body->setChildrenCollapsible(false);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(top);
  layout->addWidget(body, 1);

  buildLayout();
  connect(m_sliceCombo, &QComboBox::currentIndexChanged, this, [this] { redrawCurves(); });
  clear(tr("No records."));
}

RecallAnalysisView::~RecallAnalysisView() = default;

void RecallAnalysisView::buildLayout() {
  QCPLayoutGrid* root = m_plot->plotLayout();
  root->clear();  // the default axis rect and legend
  root->simplify();
  auto* grid = new QCPLayoutGrid;
  root->addElement(0, 0, grid);
  auto* margins = new QCPMarginGroup(m_plot);

  const auto addCell = [&](int row, int column, QCPTextElement** title) {
    auto* cell = new QCPLayoutGrid;
    grid->addElement(row, column, cell);
    QFont font = m_style.font();
    *title = new QCPTextElement(m_plot, QString(), font);
    cell->addElement(0, 0, *title);
    cell->setRowStretchFactor(0, 0.001);
    auto* rect = new QCPAxisRect(m_plot);
    cell->addElement(1, 0, rect);
    rect->setMarginGroup(QCP::msLeft, margins);
    return std::make_pair(cell, rect);
  };
  const std::pair<Panel, std::pair<int, int>> places[] = {
      {Panel::Gap, {0, 0}}, {Panel::KvIndex, {0, 1}}, {Panel::Slice, {1, 0}}};
  for (const auto& [panel, place] : places) {
    QCPTextElement* title = nullptr;
    m_rects[panel] = addCell(place.first, place.second, &title).second;
    m_titles[panel] = title;
  }
  auto [heatCell, heatRect] = addCell(1, 1, &m_heatmapTitle);
  m_heatmapRect = heatRect;
  m_colourScale = new QCPColorScale(m_plot);
  heatCell->addElement(1, 1, m_colourScale);
  heatCell->setColumnStretchFactor(1, 0.001);
  auto* scaleGroup = new QCPMarginGroup(m_plot);
  m_heatmapRect->setMarginGroup(QCP::msTop | QCP::msBottom | QCP::msLeft, margins);
  m_heatmapRect->setMarginGroup(QCP::msTop | QCP::msBottom, scaleGroup);
  m_colourScale->setMarginGroup(QCP::msTop | QCP::msBottom, scaleGroup);
  m_colourScale->setType(QCPAxis::atRight);
  m_colourScale->setGradient(viridis());
  m_colourScale->setDataRange(QCPRange(0.0, 1.0));
  m_colourScale->setLabel(tr("accuracy"));
  m_colourScale->setBarWidth(12);
  m_heatmap = new QCPColorMap(m_heatmapRect->axis(QCPAxis::atBottom), m_heatmapRect->axis(QCPAxis::atLeft));
  m_heatmap->setColorScale(m_colourScale);
  m_heatmap->setGradient(viridis());
  m_heatmap->setDataRange(QCPRange(0.0, 1.0));
  m_heatmap->setInterpolate(false);  // one evaluation and one gap per cell, as recorded
  m_heatmap->setTightBoundary(false);

  // The runs' legend in a row under the panels, centred (alone in the row it would spread out).
  auto* legendLine = new QCPLayoutGrid;
  root->addElement(1, 0, legendLine);
  m_legend = new QCPLegend;
  legendLine->addElement(0, 0, new QCPLayoutElement(m_plot));
  legendLine->addElement(0, 1, m_legend);
  legendLine->addElement(0, 2, new QCPLayoutElement(m_plot));
  legendLine->setColumnStretchFactors({1.0, 0.001, 1.0});
  m_legend->setLayer(QStringLiteral("legend"));
  m_legend->setBorderPen(Qt::NoPen);
  m_legend->setBrush(Qt::NoBrush);
  m_legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  m_legend->setWrap(4);
  root->setRowStretchFactor(1, 0.001);

  for (const auto& [panel, rect] : m_rects) {
    styleRect(rect, panelAxis(panel, QString(), false), tr("accuracy"));
  }
  styleRect(m_heatmapRect, tr("gap (tokens)"), tr("epoch"));
}

void RecallAnalysisView::styleRect(QCPAxisRect* rect, const QString& xLabel, const QString& yLabel) {
  QCPAxis* x = rect->axis(QCPAxis::atBottom);
  QCPAxis* y = rect->axis(QCPAxis::atLeft);
  x->setLabel(xLabel);
  y->setLabel(yLabel);
  for (QCPAxis* axis : {x, y}) {
    axis->setLabelFont(m_style.font());
    axis->setTickLabelFont(m_style.font(-1.0));
    axis->grid()->setPen(QPen(kGridColour, 0.5));
    axis->grid()->setZeroLinePen(Qt::NoPen);
    axis->grid()->setSubGridVisible(false);
  }
  // A closed box, ticks only on the bottom and left.
  for (const QCPAxis::AxisType type : {QCPAxis::atTop, QCPAxis::atRight}) {
    QCPAxis* axis = rect->axis(type);
    axis->setVisible(true);
    axis->setTicks(false);
    axis->setTickLabels(false);
  }
}

void RecallAnalysisView::setRuns(std::vector<Run> runs) {
  m_runs = std::move(runs);
  if (!m_runs.empty()) {
    setMessage(QString());
  }
  rebuildSliceCombo();
  fillTables();
  redrawCurves();
}

void RecallAnalysisView::setHistory(qint64 runId, const QString& name, GapHistory history) {
  m_historyRun = runId;
  m_historyName = name;
  m_history = std::move(history);
  redrawHeatmap();
}

void RecallAnalysisView::clear(const QString& message) {
  m_history = GapHistory{};
  m_historyRun = 0;
  m_historyName.clear();
  setRuns({});
  redrawHeatmap();
  setMessage(message);
}

void RecallAnalysisView::setMessage(const QString& message) {
  m_message->setText(message);
  m_message->setVisible(!message.isEmpty());
}

QString RecallAnalysisView::sliceKey() const {
  return m_sliceCombo->currentText();
}

bool RecallAnalysisView::setSliceKey(const QString& key) {
  const int index = m_sliceCombo->findText(key);
  if (index < 0) {
    return false;
  }
  m_sliceCombo->setCurrentIndex(index);
  return true;
}

void RecallAnalysisView::setFigureStyle(const FigureStyle& style) {
  if (style == m_style) {
    return;
  }
  m_style = style;
  for (const auto& [panel, rect] : m_rects) {
    styleRect(rect, rect->axis(QCPAxis::atBottom)->label(), rect->axis(QCPAxis::atLeft)->label());
  }
  styleRect(m_heatmapRect, m_heatmapRect->axis(QCPAxis::atBottom)->label(),
            m_heatmapRect->axis(QCPAxis::atLeft)->label());
  m_colourScale->axis()->setLabelFont(m_style.font());
  m_colourScale->axis()->setTickLabelFont(m_style.font(-1.0));
  redrawCurves();
  redrawHeatmap();
}

void RecallAnalysisView::rebuildSliceCombo() {
  const QString previous = m_sliceCombo->currentText();
  std::set<std::string> keys;
  for (const Run& run : m_runs) {
    for (const auto& entry : run.summary.by_slice) {
      keys.insert(entry.first);
    }
  }
  const QSignalBlocker blocker(m_sliceCombo);
  m_sliceCombo->clear();
  for (const std::string& key : keys) {
    m_sliceCombo->addItem(QString::fromStdString(key));
  }
  // num_kv_pairs first: the slice Zoology plots against.
  int index = m_sliceCombo->findText(previous);
  if (index < 0) {
    index = std::max(0, m_sliceCombo->findText(QStringLiteral("num_kv_pairs")));
  }
  m_sliceCombo->setCurrentIndex(m_sliceCombo->count() > 0 ? index : -1);
  m_sliceCombo->setEnabled(m_sliceCombo->count() > 1);
}

void RecallAnalysisView::fillTables() {
  m_summaryModel->clear();
  m_summaryModel->setHorizontalHeaderLabels(
      {tr("Run"), tr("Examples"), tr("Queries"), tr("Accuracy"), tr("Query accuracy"), tr("Mean loss")});
  m_numbersModel->clear();
  m_numbersModel->setHorizontalHeaderLabels({tr("Run"), tr("By"), tr("Value"), tr("n"), tr("Accuracy")});
  for (const Run& run : m_runs) {
    const RecallSummary& summary = run.summary;
    auto* name = textItem(run.name);
    name->setData(run.colour, Qt::DecorationRole);
    name->setData(QVariant::fromValue(run.id), RawRole);
    m_summaryModel->appendRow({name, numberItem(summary.examples), numberItem(summary.queries),
                               realItem(summary.accuracy), realItem(summary.query_accuracy),
                               realItem(summary.mean_loss)});
    const auto addBins = [&](const QString& group, const std::vector<AccuracyBin>& bins) {
      for (const AccuracyBin& bin : bins) {
        auto* runItem = textItem(run.name);
        runItem->setData(QVariant::fromValue(run.id), RawRole);
        m_numbersModel->appendRow(
            {runItem, textItem(group), numberItem(bin.value), numberItem(bin.n), realItem(bin.accuracy)});
      }
    };
    addBins(QStringLiteral("gap"), summary.by_gap);
    addBins(QStringLiteral("kv_index"), summary.by_kv_index);
    addBins(QStringLiteral("position"), summary.by_position);
    for (const auto& [key, bins] : summary.by_slice) {
      addBins(QString::fromStdString(key), bins);
    }
  }
}

void RecallAnalysisView::redrawCurves() {
  for (const Drawn& drawn : m_drawn) {
    m_plot->removeGraph(drawn.graph);  // also leaves the legend
  }
  m_drawn.clear();
  const QString sliceName = sliceKey();
  const std::string slice = sliceName.toStdString();
  const bool byPosition = !m_runs.empty() && !anyKvIndex(m_runs);
  for (const auto& [panel, rect] : m_rects) {
    m_titles[panel]->setText(panelTitle(panel, sliceName, byPosition));
    m_titles[panel]->setFont(m_style.font());
    rect->axis(QCPAxis::atBottom)->setLabel(panelAxis(panel, sliceName, byPosition));
    QCPAxis* x = rect->axis(QCPAxis::atBottom);
    QCPAxis* y = rect->axis(QCPAxis::atLeft);
    std::set<int64_t> values;
    // Drawn back to front, so the first run lies on top.
    for (size_t r = m_runs.size(); r-- > 0;) {
      const Run& run = m_runs[r];
      const std::vector<AccuracyBin>& bins = binsOf(run.summary, panel, slice, byPosition);
      QVector<QCPGraphData> data;
      data.reserve(static_cast<int>(bins.size()));
      for (const AccuracyBin& bin : bins) {
        data.append(QCPGraphData(static_cast<double>(bin.value), bin.accuracy));
        values.insert(bin.value);
      }
      QCPGraph* graph = m_plot->addGraph(x, y);
      graph->data()->set(data, true);
      graph->setName(run.name);
      graph->setSelectable(QCP::stNone);
      graph->setAntialiased(true);
      graph->setAntialiasedScatters(true);
      QPen pen(run.colour, m_style.lineWidth);
      pen.setJoinStyle(Qt::RoundJoin);
      graph->setPen(pen);
      graph->setScatterStyle(
          QCPScatterStyle(QCPScatterStyle::ssCircle, QPen(run.colour, 1.0), QBrush(run.colour),
                          std::max(3.0, m_style.markerSize * (bins.size() > 40 ? 0.6 : 1.0))));
      if (panel == Panel::Gap) {
        graph->addToLegend(m_legend);
      }
      m_drawn.push_back({graph, panel, r, bins});
    }
    if (panel == Panel::Slice) {
      // The slice values themselves as ticks (4, 8, 16 kv pairs), not a round-number scale.
      auto ticker = QSharedPointer<QCPAxisTickerText>::create();
      for (const int64_t value : values) {
        ticker->addTick(static_cast<double>(value), QString::number(value));
      }
      x->setTicker(ticker);
    } else {
      int64_t step = 0;
      for (const int64_t value : values) {
        step = std::gcd(step, value - *values.begin());
      }
      x->setTicker(integerTicker(step));
    }
    if (values.empty()) {
      x->setRange(0.0, 1.0);
    } else {
      const double low = static_cast<double>(*values.begin());
      const double high = static_cast<double>(*values.rbegin());
      const double pad = high > low ? 0.05 * (high - low) : 1.0;
      x->setRange(low - pad, high + pad);
    }
    y->setRange(kAccuracyLow, kAccuracyHigh);
  }
  m_legend->setVisible(m_runs.size() > 1);
  m_legend->setFont(m_style.font());
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

void RecallAnalysisView::redrawHeatmap() {
  QCPAxis* x = m_heatmapRect->axis(QCPAxis::atBottom);
  QCPAxis* y = m_heatmapRect->axis(QCPAxis::atLeft);
  const GapHistory& h = m_history;
  m_heatmapTitle->setFont(m_style.font());
  if (h.steps.empty() || h.gaps.empty()) {
    m_heatmap->data()->clear();
    m_heatmap->setVisible(false);
    m_heatmapTitle->setText(
        m_historyName.isEmpty()
            ? tr("Accuracy by gap over epochs")
            : tr("Accuracy by gap over epochs: %1 has no tracked records").arg(m_historyName));
    x->setRange(0.0, 1.0);
    y->setRange(0.0, 1.0);
    m_plot->replot(QCustomPlot::rpQueuedReplot);
    return;
  }
  m_heatmapTitle->setText(tr("Accuracy by gap over epochs: %1").arg(m_historyName));
  // One column per gap and one row per epoch on a regular grid (a colour map's cells are uniform); gaps or
  // epochs without an evaluation are NaN, drawn blank. Rows are epochs when each evaluation has its own,
  // else evaluation numbers.
  const int64_t lowGap = *std::min_element(h.gaps.begin(), h.gaps.end());
  const int64_t highGap = *std::max_element(h.gaps.begin(), h.gaps.end());
  // Gaps often come in steps (MQAR keys sit at even positions, so with queries at even positions every
  // gap is even): one column per step, not blank columns between.
  int64_t gapStep = 0;
  for (const int64_t gap : h.gaps) {
    gapStep = std::gcd(gapStep, gap - lowGap);
  }
  gapStep = std::max<int64_t>(1, gapStep);
  bool byEpoch = h.epochs.size() == h.steps.size();
  for (size_t e = 1; byEpoch && e < h.epochs.size(); ++e) {
    byEpoch = h.epochs[e] > h.epochs[e - 1];
  }
  std::vector<int64_t> rows(h.steps.size());
  for (size_t e = 0; e < rows.size(); ++e) {
    rows[e] = byEpoch ? h.epochs[e] : static_cast<int64_t>(e + 1);
  }
  const int64_t lowRow = rows.front();
  const int64_t highRow = rows.back();
  // At least two cells each way: QCustomPlot sizes a cell from the distance between the first and last.
  const int keys = static_cast<int>(std::max<int64_t>(2, (highGap - lowGap) / gapStep + 1));
  const int values = static_cast<int>(std::max<int64_t>(2, highRow - lowRow + 1));
  QCPColorMapData* data = m_heatmap->data();
  data->setSize(keys, values);
  const double lastGap = static_cast<double>(lowGap + (keys - 1) * gapStep);
  data->setRange(QCPRange(static_cast<double>(lowGap), lastGap),
                 QCPRange(static_cast<double>(lowRow), static_cast<double>(lowRow + values - 1)));
  data->fill(std::numeric_limits<double>::quiet_NaN());
  for (size_t e = 0; e < h.accuracy.size() && e < rows.size(); ++e) {
    for (size_t g = 0; g < h.gaps.size() && g < h.accuracy[e].size(); ++g) {
      data->setCell(static_cast<int>((h.gaps[g] - lowGap) / gapStep), static_cast<int>(rows[e] - lowRow),
                    h.accuracy[e][g]);
    }
  }
  m_heatmap->setVisible(true);
  m_heatmap->setDataRange(QCPRange(0.0, 1.0));
  y->setLabel(byEpoch ? tr("epoch") : tr("evaluation"));
  x->setTicker(integerTicker(gapStep));
  y->setTicker(integerTicker());
  const double halfStep = 0.5 * static_cast<double>(gapStep);
  x->setRange(static_cast<double>(lowGap) - halfStep, lastGap + halfStep);
  y->setRange(static_cast<double>(lowRow) - 0.5, static_cast<double>(lowRow + values - 1) + 0.5);
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

QVector<QPointF> RecallAnalysisView::plottedPoints(Panel panel, qint64 runId) const {
  QVector<QPointF> points;
  for (const Drawn& drawn : m_drawn) {
    if (drawn.panel != panel || m_runs[drawn.run].id != runId) {
      continue;
    }
    for (auto it = drawn.graph->data()->constBegin(); it != drawn.graph->data()->constEnd(); ++it) {
      points.append(QPointF(it->key, it->value));
    }
  }
  return points;
}

double RecallAnalysisView::heatmapValue(int64_t epoch, int64_t gap) const {
  QCPColorMapData* data = m_heatmap->data();  // cell() is not const in QCustomPlot 2.1
  if (!m_heatmap->visible() || data->isEmpty()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  int key = 0;
  int value = 0;
  data->coordToCell(static_cast<double>(gap), static_cast<double>(epoch), &key, &value);
  if (key < 0 || key >= data->keySize() || value < 0 || value >= data->valueSize()) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  // Cells are one gap step wide: a gap between two columns has no cell of its own.
  double cellGap = 0.0;
  double cellRow = 0.0;
  data->cellToCoord(key, value, &cellGap, &cellRow);
  if (std::llround(cellGap) != gap || std::llround(cellRow) != epoch) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return data->cell(key, value);
}

QCPAxisRect* RecallAnalysisView::panelRect(Panel panel) const {
  const auto it = m_rects.find(panel);
  return it == m_rects.end() ? nullptr : it->second;
}

QString RecallAnalysisView::toolTipAt(const QPointF& pixel) const {
  if (m_heatmapRect->rect().contains(pixel.toPoint()) && m_heatmap->visible()) {
    // The cell under the pixel, named by its own gap and row.
    QCPColorMapData* data = m_heatmap->data();
    int key = 0;
    int row = 0;
    data->coordToCell(m_heatmapRect->axis(QCPAxis::atBottom)->pixelToCoord(pixel.x()),
                      m_heatmapRect->axis(QCPAxis::atLeft)->pixelToCoord(pixel.y()), &key, &row);
    if (key < 0 || key >= data->keySize() || row < 0 || row >= data->valueSize()) {
      return QString();
    }
    double gap = 0.0;
    double rowValue = 0.0;
    data->cellToCoord(key, row, &gap, &rowValue);
    const double value = data->cell(key, row);
    if (std::isnan(value)) {
      return QString();
    }
    return tr("%1 %2, gap %3: accuracy %4")
        .arg(m_heatmapRect->axis(QCPAxis::atLeft)->label())
        .arg(std::llround(rowValue))
        .arg(std::llround(gap))
        .arg(QString::number(value, 'f', 4));
  }
  double best = kHoverRadiusPx * kHoverRadiusPx;
  QString text;
  for (const Drawn& drawn : m_drawn) {
    const QCPAxisRect* rect = m_rects.at(drawn.panel);
    if (!rect->rect().contains(pixel.toPoint())) {
      continue;
    }
    for (const AccuracyBin& bin : drawn.bins) {
      const double dx = drawn.graph->keyAxis()->coordToPixel(static_cast<double>(bin.value)) - pixel.x();
      const double dy = drawn.graph->valueAxis()->coordToPixel(bin.accuracy) - pixel.y();
      if (dx * dx + dy * dy <= best) {
        best = dx * dx + dy * dy;
        const QString unit = drawn.panel == Panel::Slice ? tr("examples") : tr("queries");
        text = tr("%1\n%2 %3: accuracy %4 (%5 %6)")
                   .arg(m_runs[drawn.run].name, panelAxis(drawn.panel, sliceKey(), !anyKvIndex(m_runs)))
                   .arg(bin.value)
                   .arg(QString::number(bin.accuracy, 'f', 4))
                   .arg(bin.n)
                   .arg(unit);
      }
    }
  }
  return text;
}

void RecallAnalysisView::onMouseMove(QMouseEvent* event) {
  const QString text = toolTipAt(event->position());
  if (text.isEmpty()) {
    QToolTip::hideText();
  } else {
    QToolTip::showText(event->globalPosition().toPoint(), text, m_plot);
  }
}

}  // namespace zoolab
