#include "views/figure_view.h"

#include "views/qcustomplot_include.h"
#include "views/view_colours.h"
#include "views/viridis.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <QHeaderView>
#include <QLabel>
#include <QMouseEvent>
#include <QStackedWidget>
#include <QStandardItemModel>
#include <QTableView>
#include <QTimer>
#include <QToolTip>
#include <QVBoxLayout>

namespace zoolab {

namespace {

constexpr double kPanelWidthPx = 270.0;  // one panel of the natural size (Zoology Fig. 2's proportions)
constexpr double kPlotHeightPx = 250.0;
constexpr double kColourScaleWidthPx = 80.0;
constexpr double kLegendEntryWidthPx = 140.0;
constexpr double kRangePadding = 0.05;   // share of the data range left free on each side
constexpr double kBoundsPadding = 0.02;  // the same beyond bounds the Figure gives
// A log axis spanning less than this ratio ticks at powers of two (model widths 64..512 would get a
// single decade tick otherwise); wider ones at powers of ten.
constexpr double kBinaryLogSpan = 100.0;
const QColor kMarkerColour(90, 90, 90);
// "n = 3 · mean 0.91 ± 0.02 · min–max 0.89–0.93": what a group's point summarises.
QString spreadText(const FigureSpread& spread) {
  const auto number = [](double value) { return QString::number(value, 'g', 4); };
  return QStringLiteral("n = %1 · mean %2 ± %3 · min–max %4–%5")
      .arg(spread.n)
      .arg(number(spread.mean), number(spread.std), number(spread.min), number(spread.max));
}

QFont titleFont(const FigureStyle& style) {
  QFont font = style.font(1.0);
  font.setBold(true);
  return font;
}

// Named x ticks this many or more with labels this long are drawn slanted (parallel coordinates name
// every axis by its configuration path), and each gets this much width.
constexpr size_t kSlantTicks = 5;
constexpr int kSlantLabelChars = 7;
constexpr double kSlantDegrees = -35.0;
constexpr double kNamedTickWidthPx = 70.0;

bool slantedTicks(const FigureAxis& axis) {
  if (axis.ticks.size() < kSlantTicks) {
    return false;
  }
  return std::any_of(axis.ticks.begin(), axis.ticks.end(),
                     [](const auto& tick) { return tick.second.size() >= kSlantLabelChars; });
}

// The natural width: the panels side by side (a lone panel a little wider, one with many named ticks
// wider still), and never narrower than the title.
double naturalWidth(const Figure& figure, const FigureStyle& style, bool colourScale) {
  double width = 70.0 + (colourScale ? kColourScaleWidthPx : 0.0);
  for (const FigurePanel& panel : figure.panels) {
    const double named = kNamedTickWidthPx * static_cast<double>(panel.x.ticks.size());
    width += std::max(figure.panels.size() == 1 ? 1.5 * kPanelWidthPx : kPanelWidthPx,
                      slantedTicks(panel.x) ? named : 0.0);
  }
  if (figure.panels.empty()) {
    width += kPanelWidthPx;
  }
  const double title =
      QFontMetricsF(titleFont(style)).horizontalAdvance(QString::fromStdString(figure.title));
  return std::max({width, 360.0, title + 40.0});
}

QString legendName(const FigureSeries& series) {
  // SeriesStyle::Reference: the paper's values say so in the legend (engine/analysis/figure.h).
  QString name = QString::fromStdString(series.name);
  if (series.style == SeriesStyle::Reference && !name.contains(QLatin1String("(paper)"))) {
    name += QStringLiteral(" (paper)");
  }
  return name;
}

// The axis range: the Figure's bounds where given, else the data padded by kRangePadding (in log
// space on a log axis, where only positive values can be drawn).
QCPRange axisRange(const FigureAxis& axis, std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(),
                              [&](double v) { return !std::isfinite(v) || (axis.log && v <= 0.0); }),
               values.end());
  for (const auto& tick : axis.ticks) {
    if (std::isfinite(tick.first) && (!axis.log || tick.first > 0.0)) {
      values.push_back(tick.first);
    }
  }
  double low = axis.log ? 1.0 : 0.0;
  double high = axis.log ? 10.0 : 1.0;
  if (!values.empty()) {
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    low = *lo;
    high = *hi;
    if (axis.log) {
      const double span = std::max(std::log10(high / low), 0.3);
      const double pad = std::pow(10.0, kRangePadding * span);
      low /= pad;
      high *= pad;
    } else {
      const double span = high > low ? high - low : std::max(std::abs(low) * 0.1, 0.5);
      low -= kRangePadding * span;
      high += kRangePadding * span;
    }
  }
  const bool bounded = axis.min && axis.max;
  if (axis.min && std::isfinite(*axis.min) && (!axis.log || *axis.min > 0.0)) {
    low = *axis.min;
  }
  if (axis.max && std::isfinite(*axis.max) && (!axis.log || *axis.max > 0.0)) {
    high = *axis.max;
  }
  if (!(high > low)) {
    high = axis.log ? low * 10.0 : low + 1.0;
  } else if (bounded && !axis.log) {
    // Given bounds (accuracy 0..1) get a sliver of room, so a model at 1.0 is drawn above the frame
    // rather than hidden in it; the ticks stay at the bounds.
    const double pad = kBoundsPadding * (high - low);
    low -= pad;
    high += pad;
  }
  return QCPRange(low, high);
}

void styleAxis(QCPAxis* qcpAxis, const FigureAxis& axis, const QCPRange& range, const FigureStyle& style,
               bool showTitle) {
  qcpAxis->setScaleType(axis.log ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
  if (!axis.ticks.empty()) {
    auto ticker = QSharedPointer<QCPAxisTickerText>::create();
    for (const auto& tick : axis.ticks) {
      ticker->addTick(tick.first, QString::fromStdString(tick.second));
    }
    qcpAxis->setTicker(ticker);
  } else if (axis.log) {
    auto ticker = QSharedPointer<QCPAxisTickerLog>::create();
    const bool binary = range.upper / range.lower < kBinaryLogSpan;
    ticker->setLogBase(binary ? 2.0 : 10.0);
    ticker->setSubTickCount(binary ? 0 : 8);
    qcpAxis->setTicker(ticker);
    qcpAxis->setNumberFormat(QStringLiteral("g"));
    qcpAxis->setNumberPrecision(6);
  } else {
    qcpAxis->setTicker(QSharedPointer<QCPAxisTicker>::create());
  }
  qcpAxis->setRange(range);
  qcpAxis->setTickLabelRotation(slantedTicks(axis) ? kSlantDegrees : 0.0);
  qcpAxis->setLabel(showTitle ? QString::fromStdString(axis.title) : QString());
  qcpAxis->setLabelFont(style.font());
  qcpAxis->setTickLabelFont(style.font(-1.0));
  qcpAxis->grid()->setPen(QPen(kGridColour, 0.5));
  qcpAxis->grid()->setZeroLinePen(Qt::NoPen);
  qcpAxis->grid()->setSubGridVisible(false);
}

}  // namespace

FigureView::FigureView(QWidget* parent) : QWidget(parent) {
  m_replotTimer = new QTimer(this);
  m_replotTimer->setSingleShot(true);
  connect(m_replotTimer, &QTimer::timeout, this, &FigureView::replotNow);

  m_plot = new QCustomPlot(this);
  m_plot->setObjectName(QStringLiteral("figurePlot"));
  m_plot->setAutoAddPlottableToLegend(false);
  m_plot->setPlottingHints(QCP::phCacheLabels);
  m_plot->setMouseTracking(true);    // hover tooltips need moves without a button held
  m_plot->setBackground(Qt::white);  // a figure is white in a dark theme too, as it will be printed
  connect(m_plot, &QCustomPlot::mouseMove, this, &FigureView::onPlotMouseMove);
  connect(m_plot, &QCustomPlot::mousePress, this, &FigureView::onPlotMousePress);
  connect(m_plot, &QCustomPlot::mouseRelease, this, &FigureView::onPlotMouseRelease);
  connect(m_plot, &QCustomPlot::mouseDoubleClick, this, &FigureView::onPlotDoubleClick);

  m_tableModel = new QStandardItemModel(this);
  m_table = new QTableView(this);
  m_table->setObjectName(QStringLiteral("figureTable"));
  m_table->setModel(m_tableModel);
  m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
  m_table->verticalHeader()->setVisible(false);
  m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

  m_stack = new QStackedWidget(this);
  m_stack->addWidget(m_plot);
  m_stack->addWidget(m_table);

  m_notes = new QLabel(this);
  m_notes->setObjectName(QStringLiteral("figureNotes"));
  m_notes->setWordWrap(true);
  m_notes->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_notes->setForegroundRole(QPalette::PlaceholderText);
  m_notes->setVisible(false);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_stack, 1);
  layout->addWidget(m_notes);

  rebuild();
}

FigureView::~FigureView() = default;

void FigureView::setFigure(const Figure& figure) {
  m_figure = figure;
  rebuild();
}

void FigureView::setFigureStyle(const FigureStyle& style) {
  if (style == m_style) {
    return;
  }
  m_style = style;
  rebuild();
}

bool FigureView::showsTable() const {
  return m_figure.table.has_value();
}

QCPAxisRect* FigureView::panelRect(int panel) const {
  return panel >= 0 && panel < panelCount() ? m_panelRects[static_cast<size_t>(panel)] : nullptr;
}

QCPGraph* FigureView::seriesGraph(int panel, int series) const {
  for (const DrawnSeries& drawn : m_drawn) {
    if (drawn.panel == panel && drawn.series == series) {
      return drawn.graph;
    }
  }
  return nullptr;
}

QCPErrorBars* FigureView::seriesErrorBars(int panel, int series) const {
  for (const DrawnSeries& drawn : m_drawn) {
    if (drawn.panel == panel && drawn.series == series) {
      return drawn.errorBars;
    }
  }
  return nullptr;
}

QColor FigureView::groupColour(const QString& group) const {
  return m_style.colour(m_groupIndex.value(group, 0));
}

QSize FigureView::naturalSize() const {
  const double width = naturalWidth(m_figure, m_style, m_colourScale != nullptr);
  const int entries = m_legend ? m_legend->itemCount() : 0;
  const int rows = entries == 0 ? 0 : (entries + m_legendColumns - 1) / m_legendColumns;
  const double lineHeight = QFontMetricsF(m_style.font()).height() + 6.0;
  double height = kPlotHeightPx + rows * lineHeight + (m_figure.title.empty() ? 0.0 : 2.0 * lineHeight);
  for (const FigurePanel& panel : m_figure.panels) {
    if (slantedTicks(panel.x)) {
      height += 4.0 * lineHeight;  // room for the slanted labels
      break;
    }
  }
  return QSize(static_cast<int>(std::lround(width)), static_cast<int>(std::lround(height)));
}

// ---- Building ----

void FigureView::rebuild() {
  clearPlot();
  m_groupIndex.clear();
  if (showsTable()) {
    buildTable();
    m_stack->setCurrentWidget(m_table);
  } else {
    m_tableModel->clear();
    buildPanels();
    m_stack->setCurrentWidget(m_plot);
  }
  QStringList notes;
  for (const std::string& note : m_figure.notes) {
    notes.append(QString::fromStdString(note));
  }
  m_notes->setText(notes.join(QLatin1Char('\n')));
  m_notes->setVisible(!notes.isEmpty());
  scheduleReplot();
}

void FigureView::clearPlot() {
  m_drawn.clear();
  m_brushItems.clear();  // items, deleted with the others below
  m_panelRects.clear();
  m_plot->clearItems();
  m_plot->clearPlottables();
  // Deleting the layout's elements also deletes the legend and colour scale in it (QCustomPlot then
  // forgets its default legend and axes); the margin group goes last, as the elements leave it when
  // they are deleted.
  m_plot->plotLayout()->clear();
  m_plot->plotLayout()->simplify();
  delete m_marginGroup;
  m_marginGroup = nullptr;
  m_legend = nullptr;
  m_colourScale = nullptr;
}

void FigureView::buildTable() {
  const FigureTable& table = *m_figure.table;
  m_tableModel->clear();
  QStringList headers;
  for (const std::string& column : table.columns) {
    headers.append(QString::fromStdString(column));
  }
  m_tableModel->setColumnCount(static_cast<int>(table.columns.size()));
  m_tableModel->setHorizontalHeaderLabels(headers);
  for (const auto& row : table.rows) {
    QList<QStandardItem*> items;
    for (const std::string& cell : row) {
      auto* item = new QStandardItem(QString::fromStdString(cell));
      bool numeric = false;
      QString::fromStdString(cell).toDouble(&numeric);
      item->setTextAlignment(numeric ? Qt::AlignRight | Qt::AlignVCenter : Qt::AlignLeft | Qt::AlignVCenter);
      items.append(item);
    }
    m_tableModel->appendRow(items);
  }
}

void FigureView::buildPanels() {
  QCPLayoutGrid* root = m_plot->plotLayout();
  int row = 0;
  if (!m_figure.title.empty()) {
    auto* title = new QCPTextElement(m_plot, QString::fromStdString(m_figure.title), titleFont(m_style));
    root->addElement(row++, 0, title);
  }
  auto* panels = new QCPLayoutGrid;
  const int panelsRow = row++;
  root->addElement(panelsRow, 0, panels);
  m_marginGroup = new QCPMarginGroup(m_plot);

  // Colours by group in order of first appearance, and the colour scale's range.
  double colourLow = std::numeric_limits<double>::infinity();
  double colourHigh = -std::numeric_limits<double>::infinity();
  QString colourTitle;
  for (const FigurePanel& panel : m_figure.panels) {
    for (const FigureSeries& series : panel.series) {
      if (series.colour_value) {
        colourLow = std::min(colourLow, *series.colour_value);
        colourHigh = std::max(colourHigh, *series.colour_value);
        if (colourTitle.isEmpty()) {
          colourTitle = QString::fromStdString(panel.colour_scale_title);
        }
      } else {
        const QString group = QString::fromStdString(series.group.empty() ? series.name : series.group);
        if (!m_groupIndex.contains(group)) {
          m_groupIndex.insert(group, static_cast<int>(m_groupIndex.size()));
        }
      }
    }
  }
  const bool hasColourScale = std::isfinite(colourLow);
  QCPRange colourRange(colourLow, colourHigh);
  if (hasColourScale && !(colourHigh > colourLow)) {
    colourRange = QCPRange(colourLow - 0.5, colourLow + 0.5);
  }
  QCPColorGradient gradient = viridis();

  // The legend goes in its own row under the panels, centred between two empty stretching cells (alone
  // in the row it would spread its entries over the whole width), wrapping into as many columns as fit.
  m_legend = new QCPLegend;
  const int legendRow = row++;
  auto* legendLine = new QCPLayoutGrid;
  root->addElement(legendRow, 0, legendLine);
  legendLine->addElement(0, 0, new QCPLayoutElement(m_plot));
  legendLine->addElement(0, 1, m_legend);  // adopting it sets its plot, needed before adding items
  legendLine->addElement(0, 2, new QCPLayoutElement(m_plot));
  legendLine->setColumnStretchFactors({1.0, 0.001, 1.0});
  m_legend->setLayer(QStringLiteral("legend"));
  m_legend->setFont(m_style.font());
  m_legend->setBorderPen(Qt::NoPen);
  m_legend->setBrush(Qt::NoBrush);
  m_legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  const double figureWidth = naturalWidth(m_figure, m_style, hasColourScale);
  m_legendColumns = std::max(1, static_cast<int>(figureWidth / kLegendEntryWidthPx));
  m_legend->setWrap(m_legendColumns);
  root->setRowStretchFactor(legendRow, 0.001);
  if (panelsRow > 0) {
    root->setRowStretchFactor(0, 0.001);
  }

  const bool anyPanelTitle = std::any_of(m_figure.panels.begin(), m_figure.panels.end(),
                                         [](const FigurePanel& panel) { return !panel.title.empty(); });
  QSet<QString> legendNames;
  QString previousYTitle;
  for (size_t p = 0; p < m_figure.panels.size(); ++p) {
    const FigurePanel& panel = m_figure.panels[p];
    auto* cell = new QCPLayoutGrid;
    panels->addElement(0, static_cast<int>(p), cell);
    QFont titleFont = m_style.font();
    titleFont.setBold(false);
    // Without panel titles (a lone parallel-coordinates panel) no empty line is left above the panels.
    if (anyPanelTitle) {
      auto* title = new QCPTextElement(m_plot, QString::fromStdString(panel.title), titleFont);
      cell->addElement(0, 0, title);
      cell->setRowStretchFactor(0, 0.001);
    }
    auto* rect = new QCPAxisRect(m_plot);
    cell->addElement(anyPanelTitle ? 1 : 0, 0, rect);
    rect->setMarginGroup(QCP::msTop | QCP::msBottom, m_marginGroup);
    m_panelRects.push_back(rect);

    std::vector<double> xs;
    std::vector<double> ys;
    for (const FigureSeries& series : panel.series) {
      for (const FigurePoint& point : series.points) {
        xs.push_back(point.x);
        ys.push_back(point.y);
        if (point.spread) {  // the error bars fit in the frame too
          ys.push_back(point.spread->low);
          ys.push_back(point.spread->high);
        }
      }
    }
    for (const FigureMarker& marker : panel.markers) {
      xs.push_back(marker.x);
    }
    // A y title repeated in every panel only crowds the row: it is shown where it changes.
    const QString yTitle = QString::fromStdString(panel.y.title);
    styleAxis(rect->axis(QCPAxis::atBottom), panel.x, axisRange(panel.x, xs), m_style, true);
    styleAxis(rect->axis(QCPAxis::atLeft), panel.y, axisRange(panel.y, ys), m_style,
              p == 0 || yTitle != previousYTitle);
    previousYTitle = yTitle;
    // A closed box, ticks only on the bottom and left axes.
    for (const QCPAxis::AxisType type : {QCPAxis::atTop, QCPAxis::atRight}) {
      QCPAxis* axis = rect->axis(type);
      axis->setVisible(true);
      axis->setTicks(false);
      axis->setTickLabels(false);
    }

    QCPAxis* xAxis = rect->axis(QCPAxis::atBottom);
    QCPAxis* yAxis = rect->axis(QCPAxis::atLeft);
    for (size_t s = 0; s < panel.series.size(); ++s) {
      const FigureSeries& series = panel.series[s];
      DrawnSeries drawn;
      drawn.panel = static_cast<int>(p);
      drawn.series = static_cast<int>(s);
      drawn.order.resize(series.points.size());
      std::iota(drawn.order.begin(), drawn.order.end(), 0);
      // Stable: points sharing an x keep the engine's order, so hover finds the same label.
      std::stable_sort(drawn.order.begin(), drawn.order.end(),
                       [&](int a, int b) { return series.points[a].x < series.points[b].x; });
      QVector<QCPGraphData> data;
      data.reserve(static_cast<int>(series.points.size()));
      for (const int index : drawn.order) {
        data.append(QCPGraphData(series.points[index].x, series.points[index].y));
      }
      QCPGraph* graph = m_plot->addGraph(xAxis, yAxis);
      graph->data()->set(data, true);
      graph->setName(legendName(series));
      graph->setSelectable(QCP::stNone);
      graph->setAntialiased(true);
      graph->setAntialiasedScatters(true);

      const QColor colour =
          series.colour_value
              ? QColor::fromRgba(gradient.color(*series.colour_value, colourRange))
              : groupColour(QString::fromStdString(series.group.empty() ? series.name : series.group));
      QPen pen(colour, m_style.lineWidth);
      pen.setCapStyle(Qt::RoundCap);
      pen.setJoinStyle(Qt::RoundJoin);
      const bool reference = series.style == SeriesStyle::Reference;
      if (reference) {
        pen.setStyle(Qt::DashLine);
      }
      graph->setPen(pen);
      const bool joined = series.style != SeriesStyle::Scatter;
      graph->setLineStyle(joined ? QCPGraph::lsLine : QCPGraph::lsNone);
      if (series.colour_value) {
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssNone));
      } else {
        QPen markerPen(colour, std::max(1.0, m_style.lineWidth * 0.8));
        const QBrush fill = reference ? QBrush(Qt::white) : QBrush(colour);
        graph->setScatterStyle(
            QCPScatterStyle(reference ? QCPScatterStyle::ssDiamond : QCPScatterStyle::ssCircle, markerPen,
                            fill, m_style.markerSize));
      }
      // One legend entry per name however many panels draw it; parallel-coordinate lines (one per run)
      // are explained by the colour scale instead.
      if (!series.colour_value && !legendNames.contains(graph->name())) {
        legendNames.insert(graph->name());
        graph->addToLegend(m_legend);
      }
      drawn.graph = graph;
      drawn.pen = pen;
      const bool spread = std::any_of(series.points.begin(), series.points.end(),
                                      [](const FigurePoint& point) { return point.spread.has_value(); });
      if (spread) {
        // One bar per graph point, in the graph's (x-sorted) order; NaN draws none for a point without.
        auto* bars = new QCPErrorBars(xAxis, yAxis);
        bars->setDataPlottable(graph);
        bars->setErrorType(QCPErrorBars::etValueError);
        QVector<double> minus;
        QVector<double> plus;
        for (const int index : drawn.order) {
          const FigurePoint& point = series.points[static_cast<size_t>(index)];
          const double none = std::numeric_limits<double>::quiet_NaN();
          minus.append(point.spread ? std::max(0.0, point.y - point.spread->low) : none);
          plus.append(point.spread ? std::max(0.0, point.spread->high - point.y) : none);
        }
        bars->setData(minus, plus);
        QPen barPen(colour, std::max(1.0, m_style.lineWidth * 0.7));
        barPen.setCapStyle(Qt::FlatCap);
        bars->setPen(barPen);
        bars->setWhiskerWidth(std::max(4.0, m_style.markerSize * 1.2));
        bars->setSymbolGap(0.0);
        bars->setSelectable(QCP::stNone);
        bars->setAntialiased(true);
        drawn.errorBars = bars;
      }
      m_drawn.push_back(std::move(drawn));
    }

    if (!panel.parallel_axes.empty()) {
      drawParallelAxes(m_plot, rect, panel, m_style);
    }
    for (const FigureMarker& marker : panel.markers) {
      auto* line = new QCPItemStraightLine(m_plot);
      line->setClipAxisRect(rect);
      line->setPen(QPen(kMarkerColour, 1.0, Qt::DashLine));
      for (QCPItemPosition* position : {line->point1, line->point2}) {
        position->setAxes(xAxis, yAxis);
        position->setAxisRect(rect);
        position->setTypeX(QCPItemPosition::ptPlotCoords);
        position->setTypeY(QCPItemPosition::ptAxisRectRatio);
      }
      line->point1->setCoords(marker.x, 0.0);
      line->point2->setCoords(marker.x, 1.0);
      auto* text = new QCPItemText(m_plot);
      text->setClipAxisRect(rect);
      text->position->setAxes(xAxis, yAxis);
      text->position->setAxisRect(rect);
      text->position->setTypeX(QCPItemPosition::ptPlotCoords);
      text->position->setTypeY(QCPItemPosition::ptAxisRectRatio);
      text->position->setCoords(marker.x, 0.02);
      text->setPositionAlignment(Qt::AlignLeft | Qt::AlignTop);
      text->setPadding(QMargins(4, 0, 0, 0));
      text->setFont(m_style.font(-1.0));
      text->setColor(kMarkerColour);
      text->setText(QString::fromStdString(marker.label));
    }
  }

  if (hasColourScale) {
    // In a cell of its own under an empty title line, so the margin group lines it up with the axis
    // rects rather than with their titles.
    auto* cell = new QCPLayoutGrid;
    panels->addElement(0, panels->columnCount(), cell);
    if (anyPanelTitle) {
      cell->addElement(0, 0, new QCPTextElement(m_plot, QStringLiteral(" "), m_style.font()));
      cell->setRowStretchFactor(0, 0.001);
    }
    m_colourScale = new QCPColorScale(m_plot);
    cell->addElement(anyPanelTitle ? 1 : 0, 0, m_colourScale);
    m_colourScale->setType(QCPAxis::atRight);
    m_colourScale->setGradient(gradient);
    m_colourScale->setDataRange(colourRange);
    m_colourScale->setLabel(colourTitle);
    m_colourScale->axis()->setLabelFont(m_style.font());
    m_colourScale->axis()->setTickLabelFont(m_style.font(-1.0));
    m_colourScale->setMarginGroup(QCP::msTop | QCP::msBottom, m_marginGroup);
    m_colourScale->setBarWidth(12);
  }
  if (m_legend->itemCount() == 0) {
    m_legend->setVisible(false);
  }
  applyBrushes();
}

// ---- Replots ----

void FigureView::scheduleReplot() {
  if (m_replotTimer->isActive()) {
    return;
  }
  const qint64 elapsed = m_sinceReplot.isValid() ? m_sinceReplot.elapsed() : kReplotIntervalMs;
  m_replotTimer->start(static_cast<int>(std::max<qint64>(0, kReplotIntervalMs - elapsed)));
}

void FigureView::replotNow() {
  ++m_replotCount;
  m_sinceReplot.start();
  m_plot->replot(QCustomPlot::rpQueuedReplot);
}

// ---- Hover ----

FigureView::HoverPoint FigureView::nearestPoint(const QPointF& pixel) const {
  HoverPoint best;
  double bestDistance = kHoverRadiusPx * kHoverRadiusPx;
  for (const DrawnSeries& drawn : m_drawn) {
    QCPAxisRect* rect = m_panelRects[static_cast<size_t>(drawn.panel)];
    if (!rect->rect().contains(pixel.toPoint())) {
      continue;
    }
    const QCPAxis* xAxis = drawn.graph->keyAxis();
    const QCPAxis* yAxis = drawn.graph->valueAxis();
    int k = 0;
    for (auto it = drawn.graph->data()->constBegin(); it != drawn.graph->data()->constEnd(); ++it, ++k) {
      if (!std::isfinite(it->key) || !std::isfinite(it->value)) {
        continue;
      }
      const double dx = xAxis->coordToPixel(it->key) - pixel.x();
      const double dy = yAxis->coordToPixel(it->value) - pixel.y();
      const double distance = dx * dx + dy * dy;
      if (distance <= bestDistance) {
        bestDistance = distance;
        best.valid = true;
        best.panel = drawn.panel;
        best.series = drawn.series;
        best.point = drawn.order[static_cast<size_t>(k)];
      }
    }
  }
  return best;
}

QString FigureView::toolTipText(const HoverPoint& point) const {
  if (!point.valid || point.panel >= static_cast<int>(m_figure.panels.size())) {
    return QString();
  }
  const FigurePanel& panel = m_figure.panels[static_cast<size_t>(point.panel)];
  if (point.series >= static_cast<int>(panel.series.size())) {
    return QString();
  }
  const FigureSeries& series = panel.series[static_cast<size_t>(point.series)];
  if (point.point >= static_cast<int>(series.points.size())) {
    return QString();
  }
  const FigurePoint& p = series.points[static_cast<size_t>(point.point)];
  QString text = !p.label.empty() ? QString::fromStdString(p.label)
                                  : QStringLiteral("%1: %2, %3")
                                        .arg(legendName(series), QString::number(p.x, 'g', 6),
                                             QString::number(p.y, 'g', 6));
  if (p.spread) {
    text += QLatin1Char('\n') + spreadText(*p.spread);
  }
  return text;
}

void FigureView::onPlotMouseMove(QMouseEvent* event) {
  if (m_pressed && m_brushAxis >= 0) {
    // Dragging along an axis: the brush follows, and the lines outside fade as it moves.
    if (std::abs(event->position().y() - m_pressPixel.y()) >= kClickSlopPx) {
      brushTo(event->position().y());
    }
    return;
  }
  const HoverPoint point = nearestPoint(event->position());
  if (point.valid) {
    QToolTip::showText(event->globalPosition().toPoint(), toolTipText(point), m_plot);
  } else {
    QToolTip::hideText();
  }
}

}  // namespace zoolab
