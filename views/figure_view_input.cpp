// FigureView's answers to the mouse beyond hover (views/figure_view.h): a click or double click names
// the runs behind a point or line, and a drag along a parallel-coordinates axis brushes a range of it.

#include "views/figure_view.h"

#include "views/qcustomplot_include.h"

#include <algorithm>
#include <cmath>

#include <QMouseEvent>

namespace zoolab {

namespace {

// Lines outside a brush fade to this, so the brushed runs stand out while the others keep their shape.
const QColor kDimmedColour(175, 175, 175, 110);
const QColor kBrushColour(30, 100, 200);
constexpr double kBrushHalfWidth = 0.06;  // of the spacing between axes

// The runs behind a point: every run of its group, else its run; none for a published value.
QList<qint64> pointRuns(const FigurePoint& point) {
  QList<qint64> runs;
  for (const int64_t id : point.run_ids) {
    runs.append(static_cast<qint64>(id));
  }
  if (runs.isEmpty() && point.run_id != 0) {
    runs.append(static_cast<qint64>(point.run_id));
  }
  return runs;
}

// The distance from p to the segment a-b, squared.
double segmentDistanceSquared(const QPointF& p, const QPointF& a, const QPointF& b) {
  const QPointF ab = b - a;
  const double length = QPointF::dotProduct(ab, ab);
  const double t = length > 0.0 ? std::clamp(QPointF::dotProduct(p - a, ab) / length, 0.0, 1.0) : 0.0;
  const QPointF d = p - (a + t * ab);
  return QPointF::dotProduct(d, d);
}

}  // namespace

// ---- Click-through ----

int FigureView::panelAt(const QPointF& pixel) const {
  for (size_t p = 0; p < m_panelRects.size(); ++p) {
    if (m_panelRects[p]->rect().contains(pixel.toPoint())) {
      return static_cast<int>(p);
    }
  }
  return -1;
}

FigureView::HoverPoint FigureView::nearestLine(const QPointF& pixel) const {
  HoverPoint best;
  double bestDistance = kLineHitRadiusPx * kLineHitRadiusPx;
  const int panel = panelAt(pixel);
  for (const DrawnSeries& drawn : m_drawn) {
    if (drawn.panel != panel || drawn.graph->lineStyle() == QCPGraph::lsNone) {
      continue;
    }
    const QCPAxis* xAxis = drawn.graph->keyAxis();
    const QCPAxis* yAxis = drawn.graph->valueAxis();
    bool havePrevious = false;
    QPointF previous;
    for (auto it = drawn.graph->data()->constBegin(); it != drawn.graph->data()->constEnd(); ++it) {
      if (!std::isfinite(it->key) || !std::isfinite(it->value)) {
        havePrevious = false;  // a gap in the line
        continue;
      }
      const QPointF current(xAxis->coordToPixel(it->key), yAxis->coordToPixel(it->value));
      if (havePrevious) {
        const double distance = segmentDistanceSquared(pixel, previous, current);
        if (distance <= bestDistance) {
          bestDistance = distance;
          best.valid = true;
          best.panel = drawn.panel;
          best.series = drawn.series;
          best.point = -1;
        }
      }
      previous = current;
      havePrevious = true;
    }
  }
  return best;
}

QList<qint64> FigureView::runsOf(const HoverPoint& hit) const {
  QList<qint64> runs;
  if (!hit.valid || hit.panel < 0 || hit.panel >= static_cast<int>(m_figure.panels.size())) {
    return runs;
  }
  const FigurePanel& panel = m_figure.panels[static_cast<size_t>(hit.panel)];
  if (hit.series < 0 || hit.series >= static_cast<int>(panel.series.size())) {
    return runs;
  }
  const FigureSeries& series = panel.series[static_cast<size_t>(hit.series)];
  if (hit.point >= 0) {
    return hit.point < static_cast<int>(series.points.size())
               ? pointRuns(series.points[static_cast<size_t>(hit.point)])
               : runs;
  }
  for (const FigurePoint& point : series.points) {  // a line: every run along it, once
    for (const qint64 id : pointRuns(point)) {
      if (!runs.contains(id)) {
        runs.append(id);
      }
    }
  }
  return runs;
}

QList<qint64> FigureView::runsAt(const QPointF& pixel) const {
  const HoverPoint point = nearestPoint(pixel);
  if (point.valid) {
    return runsOf(point);
  }
  return runsOf(nearestLine(pixel));
}

qint64 FigureView::runToOpenAt(const QPointF& pixel) const {
  const HoverPoint point = nearestPoint(pixel);
  if (point.valid) {
    const FigurePoint& p = m_figure.panels[static_cast<size_t>(point.panel)]
                               .series[static_cast<size_t>(point.series)]
                               .points[static_cast<size_t>(point.point)];
    if (p.run_id != 0) {
      return p.run_id;  // the group's chosen member
    }
    const QList<qint64> runs = pointRuns(p);
    return runs.isEmpty() ? 0 : runs.front();
  }
  const QList<qint64> runs = runsOf(nearestLine(pixel));
  return runs.size() == 1 ? runs.front() : 0;  // a line of several runs names no single one to open
}

void FigureView::onPlotMousePress(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) {
    return;
  }
  m_pressed = true;
  m_pressPixel = event->position();
  m_brushPanel = panelAt(m_pressPixel);
  m_brushAxis = m_brushPanel >= 0 ? parallelAxisAt(m_brushPanel, m_pressPixel) : -1;
}

void FigureView::onPlotMouseRelease(QMouseEvent* event) {
  if (!m_pressed || event->button() != Qt::LeftButton) {
    return;
  }
  m_pressed = false;
  const QPointF pixel = event->position();
  const bool dragged = std::abs(pixel.y() - m_pressPixel.y()) >= kClickSlopPx;
  if (m_brushAxis >= 0) {
    const FigurePanel& panel = m_figure.panels[static_cast<size_t>(m_brushPanel)];
    const QString axis = QString::fromStdString(panel.parallel_axes[static_cast<size_t>(m_brushAxis)].name);
    if (dragged || m_brushes.brush(axis)) {
      // A drag brushes the axis from where it began to here; a click on a brushed axis clears it.
      if (dragged) {
        brushTo(pixel.y());
      } else {
        setBrush(m_brushPanel, m_brushAxis, 0.0, 0.0);
      }
      m_brushAxis = -1;
      const QList<qint64> runs = brushedRuns();
      if (!runs.isEmpty()) {
        Q_EMIT runsClicked(runs);
      }
      return;
    }
    m_brushAxis = -1;
  }
  if (dragged) {
    return;
  }
  const QList<qint64> runs = runsAt(pixel);
  if (!runs.isEmpty()) {
    Q_EMIT runsClicked(runs);
  }
}

void FigureView::onPlotDoubleClick(QMouseEvent* event) {
  if (event->button() != Qt::LeftButton) {
    return;
  }
  const qint64 run = runToOpenAt(event->position());
  if (run != 0) {
    Q_EMIT runActivated(run);
  }
}

// ---- Brushing ----

int FigureView::parallelAxisAt(int panel, const QPointF& pixel) const {
  if (panel < 0 || panel >= static_cast<int>(m_figure.panels.size()) || panel >= panelCount()) {
    return -1;
  }
  const FigurePanel& figurePanel = m_figure.panels[static_cast<size_t>(panel)];
  const QCPAxisRect* rect = m_panelRects[static_cast<size_t>(panel)];
  if (!rect->rect().contains(pixel.toPoint())) {
    return -1;
  }
  const QCPAxis* xAxis = rect->axis(QCPAxis::atBottom);
  int best = -1;
  double bestDistance = kBrushGrabPx;
  for (size_t a = 0; a < figurePanel.parallel_axes.size(); ++a) {
    const double distance = std::abs(xAxis->coordToPixel(static_cast<double>(a)) - pixel.x());
    if (distance <= bestDistance) {
      bestDistance = distance;
      best = static_cast<int>(a);
    }
  }
  return best;
}

void FigureView::setBrush(int panel, int axis, double low, double high) {
  if (panel < 0 || panel >= static_cast<int>(m_figure.panels.size())) {
    return;
  }
  const auto& axes = m_figure.panels[static_cast<size_t>(panel)].parallel_axes;
  if (axis < 0 || axis >= static_cast<int>(axes.size())) {
    return;
  }
  const QString name = QString::fromStdString(axes[static_cast<size_t>(axis)].name);
  if (low == high) {
    m_brushes.clearBrush(name);
  } else {
    m_brushes.setBrush(name, low, high);
  }
  applyBrushes();
}

void FigureView::brushTo(double pixelY) {
  const QCPAxis* yAxis = m_panelRects[static_cast<size_t>(m_brushPanel)]->axis(QCPAxis::atLeft);
  // Pixels grow downwards: the lower pixel is the upper end.
  const double top = std::min(pixelY, m_pressPixel.y()) - kBrushSlackPx;
  const double bottom = std::max(pixelY, m_pressPixel.y()) + kBrushSlackPx;
  setBrush(m_brushPanel, m_brushAxis, std::clamp(yAxis->pixelToCoord(bottom), 0.0, 1.0),
           std::clamp(yAxis->pixelToCoord(top), 0.0, 1.0));
}

void FigureView::clearBrushes() {
  m_brushes.clear();
  applyBrushes();
}

QList<qint64> FigureView::brushedRuns() const {
  QList<qint64> runs;
  for (const FigurePanel& panel : m_figure.panels) {
    if (!m_brushes.active(panel)) {
      continue;
    }
    for (const FigureSeries& series : panel.series) {
      if (!m_brushes.passes(panel, series)) {
        continue;
      }
      for (const FigurePoint& point : series.points) {
        for (const qint64 id : pointRuns(point)) {
          if (!runs.contains(id)) {
            runs.append(id);
          }
        }
      }
    }
  }
  return runs;
}

bool FigureView::isDimmed(int panel, int series) const {
  const QCPGraph* graph = seriesGraph(panel, series);
  for (const DrawnSeries& drawn : m_drawn) {
    if (drawn.graph == graph && graph) {
      return graph->pen().color() != drawn.pen.color();
    }
  }
  return false;
}

void FigureView::applyBrushes() {
  for (QCPItemRect* item : m_brushItems) {
    m_plot->removeItem(item);
  }
  m_brushItems.clear();
  for (DrawnSeries& drawn : m_drawn) {
    const FigurePanel& panel = m_figure.panels[static_cast<size_t>(drawn.panel)];
    if (panel.parallel_axes.empty()) {
      continue;
    }
    const bool dimmed = !m_brushes.passes(panel, panel.series[static_cast<size_t>(drawn.series)]);
    QPen pen = drawn.pen;
    if (dimmed) {
      pen.setColor(kDimmedColour);
      pen.setWidthF(std::max(0.8, drawn.pen.widthF() * 0.6));
    }
    drawn.graph->setPen(pen);
    // The brushed runs on top of the dimmed ones.
    drawn.graph->setLayer(dimmed ? QStringLiteral("grid") : QStringLiteral("main"));
  }
  for (size_t p = 0; p < m_panelRects.size() && p < m_figure.panels.size(); ++p) {
    const FigurePanel& panel = m_figure.panels[p];
    QCPAxisRect* rect = m_panelRects[p];
    for (size_t a = 0; a < panel.parallel_axes.size(); ++a) {
      const auto brush = m_brushes.brush(QString::fromStdString(panel.parallel_axes[a].name));
      if (!brush) {
        continue;
      }
      auto* item = new QCPItemRect(m_plot);
      item->setClipAxisRect(rect);
      for (QCPItemPosition* position : {item->topLeft, item->bottomRight}) {
        position->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
        position->setAxisRect(rect);
      }
      const double x = static_cast<double>(a);
      item->topLeft->setCoords(x - kBrushHalfWidth, brush->high);
      item->bottomRight->setCoords(x + kBrushHalfWidth, brush->low);
      QColor fill = kBrushColour;
      fill.setAlpha(60);
      item->setBrush(fill);
      item->setPen(QPen(kBrushColour, 1.0));
      item->setSelectable(false);
      m_brushItems.push_back(item);
    }
  }
  scheduleReplot();
}

}  // namespace zoolab
