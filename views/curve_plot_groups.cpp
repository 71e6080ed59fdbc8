// CurvePlot's seed groups: selected runs that differ only in their seeds drawn as one mean curve with a
// band (views/curve_groups.h computes them).

#include "views/curve_plot.h"

#include "views/qcustomplot_include.h"

#include <QCheckBox>
#include <QComboBox>
#include <QSignalBlocker>

namespace zoolab {

namespace {

constexpr char kBandLayer[] = "rawCurves";  // curve_plot.cpp's raw layer: bands lie beneath every curve
constexpr double kGroupBandAlpha = 0.2;

std::string groupPointLabel(int64_t step, int64_t storedEpoch) {
  return "step " + std::to_string(step) + ", epoch " + std::to_string(storedEpoch + 1);
}

}  // namespace

void CurvePlot::setGroupSeeds(bool grouped) {
  {
    const QSignalBlocker blocker(m_groupSeedsCheck);
    m_groupSeedsCheck->setChecked(grouped);
  }
  m_bandCombo->setEnabled(grouped);
  if (grouped == m_groupSeeds) {
    return;
  }
  m_groupSeeds = grouped;
  regroup();
  syncAllRuns(false);  // grouped runs lose their own curves, ungrouped ones get them back
  rebuildGroups();
  m_autoFit = true;
  rescaleToData();
  replotNow();
}

void CurvePlot::setBand(CurveBand band) {
  {
    const QSignalBlocker blocker(m_bandCombo);
    m_bandCombo->setCurrentIndex(m_bandCombo->findData(static_cast<int>(band)));
  }
  if (band == m_band) {
    return;
  }
  m_band = band;
  rebuildGroups();
  if (m_autoFit) {
    rescaleToData();
  }
  replotNow();
}

void CurvePlot::regroup() {
  std::set<qint64> grouped;
  if (m_groupSeeds) {
    QHash<QString, int> members;
    for (qint64 runId : m_runs) {
      if (m_groupKeys.contains(runId)) {
        ++members[m_groupKeys.value(runId)];
      }
    }
    for (qint64 runId : m_runs) {
      if (m_groupKeys.contains(runId) && members.value(m_groupKeys.value(runId)) > 1) {
        grouped.insert(runId);
      }
    }
  }
  if (grouped != m_groupedRuns) {
    m_groupedRuns = std::move(grouped);
    m_groupsDirty = true;
  }
}

void CurvePlot::clearGroupGraphs() {
  // High before low: a graph filled towards another is removed before that one.
  for (auto it = m_groupGraphs.rbegin(); it != m_groupGraphs.rend(); ++it) {
    m_plot->removeGraph(*it);
  }
  m_groupGraphs.clear();
  m_legendRuns.clear();
}

void CurvePlot::rebuildGroups() {
  m_groupsDirty = false;
  clearGroupGraphs();
  m_drawnGroups.clear();
  if (m_groupedRuns.empty()) {
    return;
  }
  // Groups in the order of their first selected member.
  QStringList order;
  QHash<QString, QVector<qint64>> membersOf;
  for (qint64 runId : m_runs) {
    if (m_groupedRuns.count(runId) == 0) {
      continue;
    }
    const QString key = m_groupKeys.value(runId);
    if (!membersOf.contains(key)) {
      order.append(key);
    }
    membersOf[key].append(runId);
  }
  for (const QString& key : order) {
    std::vector<CurveGroupMember> members;
    DrawnGroup group;
    for (qint64 runId : membersOf.value(key)) {
      const CurveSeries* series = m_store.series(runId, m_metricKey);
      if (series == nullptr || series->size() == 0 || !drawable(runId)) {
        continue;
      }
      CurveGroupMember member;
      member.series = series;
      // The members' curves as they would be drawn: the mean and band summarise the smoothed curves.
      member.values = m_smoothing > 0.0 ? ema_smooth(series->values, m_smoothing) : series->values;
      member.xs.resize(series->size());
      for (size_t i = 0; i < series->size(); ++i) {
        member.xs[i] = xOf(runId, *series, i);
      }
      members.push_back(std::move(member));
      group.members.append(runId);
    }
    if (members.empty()) {
      continue;
    }
    group.points = curveGroupMean(members, m_band);
    group.label = QStringLiteral("%1 (n=%2)")
                      .arg(QString::fromStdString(seedlessName(runName(group.members.front()).toStdString())))
                      .arg(group.members.size());

    QVector<QCPGraphData> meanData;
    QVector<QCPGraphData> lowData;
    QVector<QCPGraphData> highData;
    for (const CurveGroupPoint& point : group.points) {
      meanData.append(QCPGraphData(point.x, point.spread.mean));
      lowData.append(QCPGraphData(point.x, point.low));
      highData.append(QCPGraphData(point.x, point.high));
    }
    const QColor colour = runColour(group.members.front());
    QColor bandColour = colour;
    bandColour.setAlphaF(kGroupBandAlpha);
    QCPGraph* low = m_plot->addGraph();
    QCPGraph* high = m_plot->addGraph();
    QCPGraph* mean = m_plot->addGraph();
    for (QCPGraph* edge : {low, high}) {
      edge->setLayer(QString::fromLatin1(kBandLayer));
      edge->setPen(Qt::NoPen);
      edge->removeFromLegend();
      edge->setSelectable(QCP::stNone);
    }
    low->data()->set(lowData, false);
    high->data()->set(highData, false);
    high->setBrush(bandColour);
    high->setChannelFillGraph(low);
    mean->data()->set(meanData, false);
    mean->setPen(QPen(colour, m_style.lineWidth));
    mean->setAntialiased(true);
    mean->setSelectable(QCP::stNone);
    mean->setName(legendName(group.label));
    m_groupGraphs.insert(m_groupGraphs.end(), {low, high, mean});
    m_legendRuns.insert(mean, QList<qint64>(group.members.cbegin(), group.members.cend()));
    m_drawnGroups.push_back(std::move(group));
  }
}

void CurvePlot::addGroupsToFigure(FigurePanel& panel) const {
  const char* bandName = curveBandName(m_band);
  for (const DrawnGroup& group : m_drawnGroups) {
    const std::string label = group.label.toStdString();
    const std::vector<int64_t> runIds(group.members.cbegin(), group.members.cend());
    FigureSeries mean{label + " (mean)", label, SeriesStyle::Line, std::nullopt, {}};
    FigureSeries low{label + " (low)", label, SeriesStyle::Line, std::nullopt, {}};
    FigureSeries high{label + " (high)", label, SeriesStyle::Line, std::nullopt, {}};
    for (const CurveGroupPoint& point : group.points) {
      const std::string where = groupPointLabel(point.step, point.epoch);
      FigurePoint meanPoint = FigurePoint::of_run(point.x, point.spread.mean, runIds.front(),
                                                  where + ", mean of " + std::to_string(point.spread.n));
      meanPoint.run_ids = runIds;
      FigureSpread spread;
      spread.n = point.spread.n;
      spread.mean = point.spread.mean;
      spread.std = point.spread.std;
      spread.min = point.spread.min;
      spread.max = point.spread.max;
      spread.low = point.low;
      spread.high = point.high;
      meanPoint.spread = spread;
      mean.points.push_back(std::move(meanPoint));
      for (auto [series, value] : {std::pair<FigureSeries*, double>{&low, point.low}, {&high, point.high}}) {
        FigurePoint edge = FigurePoint::of_run(point.x, value, runIds.front(), where + ", band " + bandName);
        edge.run_ids = runIds;
        series->points.push_back(std::move(edge));
      }
    }
    panel.series.push_back(std::move(mean));
    panel.series.push_back(std::move(low));
    panel.series.push_back(std::move(high));
  }
}

}  // namespace zoolab
