#include "views/figure_parallel.h"

#include "views/qcustomplot_include.h"

#include <algorithm>
#include <cmath>

#include <QFontMetricsF>
#include <QtMath>

namespace zoolab {

namespace {

const QColor kAxisColour(70, 70, 70);
const QColor kTickLabelColour(40, 40, 40);
// Labels sit over the run lines: a pale backing keeps them readable without hiding the lines.
const QColor kTickLabelBacking(255, 255, 255, 190);
constexpr double kTolerance = 1e-9;
constexpr double kVerticalRoom = 0.06;

}  // namespace

void drawParallelAxes(QCustomPlot* plot, QCPAxisRect* rect, const FigurePanel& panel,
                      const FigureStyle& style) {
  QCPAxis* xAxis = rect->axis(QCPAxis::atBottom);
  QCPAxis* yAxis = rect->axis(QCPAxis::atLeft);
  // Room above and below, so the labels of the top and bottom values clear the frame.
  yAxis->setRange(-kVerticalRoom, 1.0 + kVerticalRoom);
  yAxis->setTicks(false);
  yAxis->setTickLabels(false);
  yAxis->setLabel(QString());
  yAxis->grid()->setVisible(false);
  xAxis->grid()->setVisible(false);  // the axes below replace the grid lines at each x
  // The axes and their labels over the run lines (whose layer brushing changes), under the legend.
  static const QString kLayer = QStringLiteral("parallelAxes");
  if (!plot->layer(kLayer)) {
    plot->addLayer(kLayer, plot->layer(QStringLiteral("main")), QCustomPlot::limAbove);
  }

  // The first axis's name slants down to the left of the frame: QCustomPlot drops a tick label that
  // would cross the widget's edge, so leave it room.
  if (!panel.x.ticks.empty() && xAxis->tickLabelRotation() != 0.0) {
    const double width = QFontMetricsF(xAxis->tickLabelFont())
                             .horizontalAdvance(QString::fromStdString(panel.x.ticks.front().second));
    const double slant = std::cos(qDegreesToRadians(xAxis->tickLabelRotation()));
    rect->setMinimumMargins(QMargins(static_cast<int>(width * slant) + 8, 0, 0, 0));
  }
  for (size_t a = 0; a < panel.parallel_axes.size(); ++a) {
    const FigureParallelAxis& axis = panel.parallel_axes[a];
    const double x = static_cast<double>(a);
    auto* line = new QCPItemLine(plot);
    line->setClipAxisRect(rect);
    line->setLayer(kLayer);
    line->setPen(QPen(kAxisColour, 1.2));
    for (QCPItemPosition* position : {line->start, line->end}) {
      position->setAxes(xAxis, yAxis);
      position->setAxisRect(rect);
    }
    line->start->setCoords(x, 0.0);
    line->end->setCoords(x, 1.0);
    for (const auto& [position, label] : axis.ticks) {
      auto* tick = new QCPItemLine(plot);
      tick->setClipAxisRect(rect);
      tick->setLayer(kLayer);
      tick->setPen(QPen(kAxisColour, 1.2));
      tick->start->setAxes(xAxis, yAxis);
      tick->start->setAxisRect(rect);
      tick->start->setCoords(x, position);
      tick->end->setParentAnchor(tick->start);
      tick->end->setCoords(4.0, 0.0);  // pixels to the right of the axis

      auto* text = new QCPItemText(plot);
      text->setClipToAxisRect(false);  // the last axis's labels may reach into the margin
      text->setLayer(kLayer);
      text->position->setAxes(xAxis, yAxis);
      text->position->setAxisRect(rect);
      text->position->setCoords(x, position);
      text->setPositionAlignment(Qt::AlignLeft | Qt::AlignVCenter);
      text->setPadding(QMargins(6, 0, 2, 0));
      text->setBrush(kTickLabelBacking);
      text->setFont(style.font(-1.5));
      text->setColor(kTickLabelColour);
      text->setText(QString::fromStdString(label));
    }
  }
}

std::optional<ParallelBrush> ParallelBrushes::brush(const QString& axis) const {
  const auto it = m_brushes.constFind(axis);
  if (it == m_brushes.constEnd()) {
    return std::nullopt;
  }
  return *it;
}

void ParallelBrushes::setBrush(const QString& axis, double low, double high) {
  ParallelBrush brush;
  brush.low = std::min(low, high);
  brush.high = std::max(low, high);
  m_brushes.insert(axis, brush);
}

void ParallelBrushes::clearBrush(const QString& axis) {
  m_brushes.remove(axis);
}

bool ParallelBrushes::active(const FigurePanel& panel) const {
  return std::any_of(
      panel.parallel_axes.begin(), panel.parallel_axes.end(),
      [&](const FigureParallelAxis& axis) { return m_brushes.contains(QString::fromStdString(axis.name)); });
}

bool ParallelBrushes::passes(const FigurePanel& panel, const FigureSeries& series) const {
  for (size_t a = 0; a < panel.parallel_axes.size(); ++a) {
    const auto it = m_brushes.constFind(QString::fromStdString(panel.parallel_axes[a].name));
    if (it == m_brushes.constEnd()) {
      continue;
    }
    // The run's point on this axis (x = the axis index).
    const auto point = std::find_if(series.points.begin(), series.points.end(), [&](const FigurePoint& p) {
      return std::abs(p.x - static_cast<double>(a)) < kTolerance;
    });
    if (point == series.points.end() || point->y < it->low - kTolerance || point->y > it->high + kTolerance) {
      return false;
    }
  }
  return true;
}

}  // namespace zoolab
