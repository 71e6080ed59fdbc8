#pragma once

// Streams the metric points of the runs the curves show: the whole history of a run when it is first
// watched, then, on a timer, only its rows newer than those seen (Store::metrics_after), so a curve of
// 100,000 points costs one read and every poll after that reads only what the trainers appended
// (docs/architecture.md#data-path). It owns its own read connection and never writes.

#include <map>
#include <memory>
#include <set>
#include <vector>

#include <QList>
#include <QObject>
#include <QString>

#include "engine/store/records.h"

class QTimer;

namespace zoolab {

class Store;

class MetricFeed : public QObject {
  Q_OBJECT

 public:
  explicit MetricFeed(const QString& databasePath, QObject* parent = nullptr);
  ~MetricFeed() override;

  // The runs to stream. A run newly in the list is read whole (historyLoaded); runs no longer in it are
  // forgotten and read whole again if they come back.
  void setRuns(const QList<qint64>& runIds);
  // Reads a run whole again (after a resume truncated its metrics to its checkpoint).
  void reload(qint64 runId);

  void setInterval(int milliseconds);
  void start();
  void stop();
  // One poll: emits pointsAppended with the new points of the watched runs, if any.
  void poll();

  // All points of one run, replacing what was shown of it.
  Q_SIGNAL void historyLoaded(qint64 runId, const std::vector<zoolab::MetricPoint>& points);
  // New points of watched runs, in row order.
  Q_SIGNAL void pointsAppended(const std::vector<zoolab::MetricPoint>& points);
  Q_SIGNAL void errorOccurred(const QString& message);

 private:
  bool ensureStore();
  void loadHistory(qint64 runId);

  QString m_path;
  std::unique_ptr<Store> m_store;
  QTimer* m_timer = nullptr;
  std::set<qint64> m_runs;
  // Per watched run, the last row id delivered: rows at or below it are never delivered twice.
  std::map<qint64, int64_t> m_lastIdOfRun;
};

}  // namespace zoolab
