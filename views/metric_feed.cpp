#include "views/metric_feed.h"

#include <algorithm>
#include <exception>

#include <QTimer>

#include "engine/store/store.h"

namespace zoolab {

MetricFeed::MetricFeed(const QString& databasePath, QObject* parent)
    : QObject(parent), m_path(databasePath), m_timer(new QTimer(this)) {
  m_timer->setInterval(500);
  connect(m_timer, &QTimer::timeout, this, &MetricFeed::poll);
}

MetricFeed::~MetricFeed() = default;

void MetricFeed::setInterval(int milliseconds) {
  m_timer->setInterval(milliseconds);
}

void MetricFeed::start() {
  m_timer->start();
}

void MetricFeed::stop() {
  m_timer->stop();
}

bool MetricFeed::ensureStore() {
  if (m_store) {
    return true;
  }
  try {
    m_store = std::make_unique<Store>(m_path.toStdString());
    return true;
  } catch (const std::exception& error) {
    Q_EMIT errorOccurred(QString::fromUtf8(error.what()));
    return false;
  }
}

void MetricFeed::setRuns(const QList<qint64>& runIds) {
  const std::set<qint64> wanted(runIds.begin(), runIds.end());
  for (auto it = m_lastIdOfRun.begin(); it != m_lastIdOfRun.end();) {
    it = wanted.count(it->first) ? std::next(it) : m_lastIdOfRun.erase(it);
  }
  m_runs = wanted;
  for (const qint64 id : wanted) {
    if (!m_lastIdOfRun.count(id)) {
      loadHistory(id);
    }
  }
}

void MetricFeed::reload(qint64 runId) {
  if (m_runs.count(runId)) {
    loadHistory(runId);
  }
}

void MetricFeed::loadHistory(qint64 runId) {
  if (!ensureStore()) {
    return;
  }
  try {
    std::vector<MetricPoint> points = m_store->metrics(runId);
    int64_t last = 0;
    for (const MetricPoint& point : points) {
      last = std::max(last, point.id);
    }
    m_lastIdOfRun[runId] = last;
    Q_EMIT historyLoaded(runId, points);
  } catch (const std::exception& error) {
    Q_EMIT errorOccurred(QString::fromUtf8(error.what()));
  }
}

void MetricFeed::poll() {
  if (m_runs.empty() || !ensureStore()) {
    return;
  }
  try {
    // One indexed read per watched run: the trainers' other runs (thousands, in a sweep) are never read.
    std::vector<MetricPoint> fresh;
    for (auto& [runId, lastId] : m_lastIdOfRun) {
      std::vector<MetricPoint> points = m_store->metrics_after(runId, lastId);
      if (!points.empty()) {
        lastId = points.back().id;
        fresh.insert(fresh.end(), points.begin(), points.end());
      }
    }
    if (!fresh.empty()) {
      std::sort(fresh.begin(), fresh.end(),
                [](const MetricPoint& a, const MetricPoint& b) { return a.id < b.id; });
      Q_EMIT pointsAppended(fresh);
    }
  } catch (const std::exception& error) {
    Q_EMIT errorOccurred(QString::fromUtf8(error.what()));
  }
}

}  // namespace zoolab
