// CurvePlot's export (the drawn curves as a Figure, and files) and its hover tooltips.

#include "views/curve_plot.h"

#include "views/qcustomplot_include.h"

#include <cmath>
#include <limits>

#include <QFileDialog>
#include <QMessageBox>
#include <QMouseEvent>
#include <QToolTip>

namespace zoolab {

namespace {

constexpr double kCurveHoverRadiusPx = 12.0;  // points this far left or right of the cursor are candidates

QString curveValueText(double value) {
  return QString::number(value, 'g', 6);
}

// Seconds as h:mm:ss, the elapsed-time axis' format.
QString curveDurationText(double seconds) {
  if (!std::isfinite(seconds)) {
    return QString::number(seconds);
  }
  const qint64 total = static_cast<qint64>(std::llround(seconds));
  return QStringLiteral("%1:%2:%3")
      .arg(total / 3600)
      .arg((total / 60) % 60, 2, 10, QLatin1Char('0'))
      .arg(total % 60, 2, 10, QLatin1Char('0'));
}

}  // namespace

// ---- Export ----

Figure CurvePlot::toFigure() const {
  FigurePanel panel;
  panel.title = m_metric.toStdString();
  panel.x.title = m_plot->xAxis->label().toStdString();
  panel.x.log = logX();
  panel.y.title = m_metric.toStdString();
  panel.y.log = logY();
  for (qint64 runId : m_runs) {
    const CurveSeries* series = m_store.series(runId, m_metricKey);
    if (series == nullptr || series->values.empty() || m_curves.count(runId) == 0) {
      continue;  // no points, drawn in a seed group, or not on this axis
    }
    const std::string name = runName(runId).toStdString();
    FigureSeries raw{name, name, SeriesStyle::Line, std::nullopt, {}};
    for (size_t i = 0; i < series->values.size(); ++i) {
      // Epochs are stored 0-based and shown 1-based, as the CLI prints them.
      raw.points.push_back(FigurePoint::of_run(
          xOf(runId, *series, i), series->values[i], runId,
          "step " + std::to_string(series->steps[i]) + ", epoch " + std::to_string(series->epochs[i] + 1)));
    }
    panel.series.push_back(std::move(raw));
    if (m_smoothing > 0.0) {
      FigureSeries smoothed{name + " (smoothed)", name, SeriesStyle::Line, std::nullopt, {}};
      for (const QPointF& point : plottedPoints(runId, true)) {
        smoothed.points.push_back(
            FigurePoint::of_run(point.x(), point.y(), runId, "EMA weight " + std::to_string(m_smoothing)));
      }
      panel.series.push_back(std::move(smoothed));
    }
  }
  addGroupsToFigure(panel);
  Figure figure;
  figure.name = "curves";
  figure.title = m_metric.toStdString();
  figure.panels.push_back(std::move(panel));
  return figure;
}

QString CurvePlot::exportTo(const QString& path, const FigureExportOptions& options) const {
  return exportFigure(m_plot, toFigure(), path, options, m_plot->size());
}

void CurvePlot::onExportClicked() {
  const QString path =
      QFileDialog::getSaveFileName(this, tr("Export curves"), QString(), figureExportFilters());
  if (path.isEmpty()) {
    return;
  }
  if (const QString error = exportTo(path); !error.isEmpty()) {
    QMessageBox::warning(this, tr("Export curves"), error);
  }
}

void CurvePlot::setFigureStyle(const FigureStyle& style) {
  m_style = style;
  for (QCPAxis* axis : {m_plot->xAxis, m_plot->yAxis}) {
    axis->setLabelFont(style.font());
    axis->setTickLabelFont(style.font(-1));
  }
  m_plot->legend->setFont(style.font(-1));
  for (auto& [runId, curve] : m_curves) {
    styleCurve(runId, curve);
  }
  m_groupsDirty = true;
  scheduleReplot();
}

QVector<QPointF> CurvePlot::plottedPoints(qint64 runId, bool smoothed) const {
  QVector<QPointF> points;
  auto found = m_curves.find(runId);
  if (found == m_curves.end()) {
    return points;
  }
  const QCPGraphDataContainer& data = *(smoothed ? found->second.smoothed : found->second.raw)->data();
  points.reserve(data.size());
  for (auto it = data.constBegin(); it != data.constEnd(); ++it) {
    points.append(QPointF(it->key, it->value));
  }
  return points;
}

CurvePlot::HoverPoint CurvePlot::nearestPoint(const QPointF& pixel) const {
  HoverPoint best;
  double bestDistance = std::numeric_limits<double>::infinity();
  const QCPAxis* keyAxis = m_plot->xAxis;
  const QCPAxis* valueAxis = m_plot->yAxis;
  const double a = keyAxis->pixelToCoord(pixel.x() - kCurveHoverRadiusPx);
  const double b = keyAxis->pixelToCoord(pixel.x() + kCurveHoverRadiusPx);
  const double low = std::min(a, b);
  const double high = std::max(a, b);
  for (const auto& entry : m_curves) {
    const RunCurve& curve = entry.second;
    for (const QCPGraph* graph : {curve.smoothed, curve.raw}) {
      if (!graph->visible()) {
        continue;
      }
      const QCPGraphDataContainer& data = *graph->data();
      // One point beyond the window on each side: the cursor may sit on a long segment between two.
      const auto first = data.findBegin(low, true);
      const auto last = data.findEnd(high, true);
      for (auto it = first; it != last; ++it) {
        if (!std::isfinite(it->value)) {
          continue;
        }
        const double dx = keyAxis->coordToPixel(it->key) - pixel.x();
        const double dy = valueAxis->coordToPixel(it->value) - pixel.y();
        const double distance = dx * dx + dy * dy;
        if (distance < bestDistance) {
          bestDistance = distance;
          best.valid = true;
          best.runId = entry.first;
          const size_t k = static_cast<size_t>(it - data.constBegin());
          best.index = curve.order.empty() ? k : curve.order[k];
          best.x = it->key;
          best.smoothed = (curve.smoothed->data()->constBegin() + static_cast<int>(k))->value;
        }
      }
    }
  }
  // Seed groups: the mean curve's points (few: one per step every member logged).
  for (size_t g = 0; g < m_drawnGroups.size(); ++g) {
    for (const CurveGroupPoint& point : m_drawnGroups[g].points) {
      if (point.x < low || point.x > high || !std::isfinite(point.spread.mean)) {
        continue;
      }
      const double dx = keyAxis->coordToPixel(point.x) - pixel.x();
      const double dy = valueAxis->coordToPixel(point.spread.mean) - pixel.y();
      const double distance = dx * dx + dy * dy;
      if (distance < bestDistance) {
        bestDistance = distance;
        best = HoverPoint();
        best.valid = true;
        best.group = static_cast<int>(g);
        best.groupPoint = point;
        best.runId = m_drawnGroups[g].members.front();
        best.x = point.x;
      }
    }
  }
  if (best.valid && best.group >= 0) {
    const CurveGroupPoint& point = best.groupPoint;
    best.step = point.step;
    best.epoch = point.epoch + 1;
    best.wallTime = m_xAxis == XAxis::Elapsed ? point.x : 0.0;
    best.raw = point.spread.mean;
    best.smoothed = point.spread.mean;
  } else if (best.valid) {
    const CurveSeries* series = m_store.series(best.runId, m_metricKey);
    if (series != nullptr && best.index < series->size()) {
      best.step = series->steps[best.index];
      best.epoch = series->epochs[best.index] + 1;
      best.wallTime = series->wallTimes[best.index];
      best.raw = series->values[best.index];
    }
  }
  return best;
}

QString CurvePlot::toolTipText(const HoverPoint& point) const {
  if (!point.valid) {
    return QString();
  }
  QStringList lines;
  const bool group = point.group >= 0 && point.group < static_cast<int>(m_drawnGroups.size());
  lines << (group ? m_drawnGroups[static_cast<size_t>(point.group)].label : runName(point.runId));
  QString where = tr("step %1").arg(point.step);
  if (m_xAxis == XAxis::Epoch) {
    where += tr(", epoch %1").arg(point.epoch);
  } else if (m_xAxis == XAxis::Elapsed) {
    where += tr(", %1").arg(curveDurationText(point.wallTime));
  } else if (m_xAxis == XAxis::WallClock) {
    where +=
        tr(", %1").arg(QDateTime::fromMSecsSinceEpoch(static_cast<qint64>(std::llround(point.x * 1000.0)))
                           .toString(QStringLiteral("yyyy-MM-dd hh:mm:ss")));
  }
  lines << where;
  if (group) {
    const SpreadStats& spread = point.groupPoint.spread;
    lines << tr("mean %1 of %2 runs%3")
                 .arg(curveValueText(spread.mean))
                 .arg(spread.n)
                 .arg(m_smoothing > 0.0 ? tr(" (smoothed curves)") : QString());
    lines << tr("std %1, min %2, max %3")
                 .arg(curveValueText(spread.std), curveValueText(spread.min), curveValueText(spread.max));
    lines << tr("band (%1) %2 to %3")
                 .arg(QString::fromLatin1(curveBandName(m_band)), curveValueText(point.groupPoint.low),
                      curveValueText(point.groupPoint.high));
    return lines.join(QLatin1Char('\n'));
  }
  lines << tr("smoothed %1").arg(curveValueText(point.smoothed));
  lines << tr("raw %1").arg(curveValueText(point.raw));
  return lines.join(QLatin1Char('\n'));
}

void CurvePlot::onPlotMouseMove(QMouseEvent* event) {
  if (event->buttons() != Qt::NoButton) {
    m_autoFit = false;  // the user is dragging the view: stop following the data
    QToolTip::hideText();
    return;
  }
  if (!m_plot->axisRect()->rect().contains(event->position().toPoint())) {
    QToolTip::hideText();
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
