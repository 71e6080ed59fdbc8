// CurvePlot's legend, in its own column right of the axis rect so that it never covers a curve, with long
// names elided in the middle and clicks that ask for the runs an entry names; and the message the view
// shows instead of empty axes.

#include "views/curve_plot.h"

#include "views/qcustomplot_include.h"

#include <QFontMetrics>
#include <QLabel>
#include <QStackedWidget>

namespace zoolab {

QString CurvePlot::legendName(const QString& name) const {
  const QFontMetrics metrics(m_plot->legend->font());
  return metrics.elidedText(name, Qt::ElideMiddle, kLegendNameMaxPx);
}

void CurvePlot::placeLegend(bool visible) {
  if (m_legendColumn == nullptr) {
    // A column of its own right of the axis rect: the legend on top, an empty element below taking the
    // rest of the height (the legend's maximum size, its size hint, keeps its entries together).
    m_legendColumn = new QCPLayoutGrid;
    m_plot->axisRect()->insetLayout()->take(m_plot->legend);
    m_plot->axisRect()->insetLayout()->simplify();
    m_legendColumn->addElement(0, 0, m_plot->legend);
    m_legendColumn->addElement(1, 0, new QCPLayoutElement(m_plot));
    m_legendColumn->setRowSpacing(0);
  }
  if (visible) {
    m_plot->legend->setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX);
    m_plot->legend->setMaximumSize(m_plot->legend->minimumOuterSizeHint());
  }
  if (visible != m_legendPlaced) {
    QCPLayoutGrid* layout = m_plot->plotLayout();
    if (visible) {
      layout->addElement(0, 1, m_legendColumn);
      layout->setColumnStretchFactor(1, 0.001);  // the axis rect takes every pixel the legend does not need
    } else {
      layout->take(m_legendColumn);
      layout->simplify();
    }
    m_legendPlaced = visible;
  }
  m_plot->legend->setVisible(visible);
}

void CurvePlot::orderLegend() {
  QList<QCPAbstractPlottable*> order;
  for (qint64 runId : m_runs) {
    const auto found = m_curves.find(runId);
    if (found != m_curves.end()) {
      order.append(found->second.smoothed);
      continue;
    }
    for (size_t g = 0; g < m_drawnGroups.size(); ++g) {
      if (m_drawnGroups[g].members.front() == runId) {
        order.append(m_groupGraphs[3 * g + 2]);  // low, high, mean per group
      }
    }
  }
  QList<QCPAbstractPlottable*> shown;
  for (int i = 0; i < m_plot->legend->itemCount(); ++i) {
    if (auto* entry = qobject_cast<QCPPlottableLegendItem*>(m_plot->legend->item(i))) {
      shown.append(entry->plottable());
    }
  }
  if (shown == order) {
    return;
  }
  m_plot->legend->clearItems();
  for (QCPAbstractPlottable* plottable : order) {
    plottable->addToLegend();
  }
}

void CurvePlot::onLegendClick(QCPAbstractLegendItem* item) {
  auto* entry = qobject_cast<QCPPlottableLegendItem*>(item);
  if (entry == nullptr) {
    return;
  }
  const QCPAbstractPlottable* plottable = entry->plottable();
  for (const auto& [runId, curve] : m_curves) {
    if (curve.smoothed == plottable) {
      Q_EMIT legendClicked({runId});
      return;
    }
  }
  for (auto it = m_legendRuns.cbegin(); it != m_legendRuns.cend(); ++it) {
    if (it.key() == plottable) {
      Q_EMIT legendClicked(it.value());
      return;
    }
  }
}

void CurvePlot::updateEmptyState() {
  QString message;
  if (m_runs.isEmpty()) {
    message = tr("Select one or more runs in the explorer to plot their curves");
  } else {
    bool anyPoints = false;
    for (qint64 runId : m_runs) {
      anyPoints = anyPoints || !m_store.keys(runId).empty();
    }
    if (!anyPoints) {
      message = m_runs.size() == 1
                    ? tr("This run has no metrics yet: its curves appear here as it trains")
                    : tr("These runs have no metrics yet: their curves appear here as they train");
    }
  }
  m_emptyLabel->setText(message);
  m_stack->setCurrentWidget(message.isEmpty() ? static_cast<QWidget*>(m_plot) : m_emptyLabel);
  m_controls->setEnabled(message.isEmpty());
}

QString CurvePlot::emptyMessage() const {
  return m_stack->currentWidget() == m_emptyLabel ? m_emptyLabel->text() : QString();
}

}  // namespace zoolab
