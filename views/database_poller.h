#pragma once

// Watches a run database for the GUI: owns a read connection (zoolab::Store) and, on a timer, reloads the
// runs and their metric summaries, announcing them only when something shown changed. Progress reaches
// the GUI this way because training happens in other processes (docs/architecture.md#data-path); WAL keeps
// these reads from blocking the trainers. It never writes to the database.

#include <memory>
#include <vector>

#include <QMap>
#include <QObject>
#include <QString>

#include "engine/store/records.h"

class QTimer;

namespace zoolab {

class Store;

class DatabasePoller : public QObject {
  Q_OBJECT

 public:
  static constexpr int kDefaultIntervalMs = 500;
  // The timer's period is at least this many times the last poll's duration.
  static constexpr int kPollBudgetFactor = 10;
  // More new runs than this in one poll are read with one summaries query instead of one per run.
  static constexpr size_t kSummariesPerRunLimit = 64;

  // Does not touch the file yet: start() or poll() opens it, so failures arrive as errorOccurred.
  explicit DatabasePoller(const QString& path, QObject* parent = nullptr);
  ~DatabasePoller() override;

  const QString& path() const { return m_path; }

  int interval() const;
  void setInterval(int milliseconds);

  // Polls now, then every interval(). A database that cannot be opened stops the timer after one
  // errorOccurred: retrying twice a second would only repeat the same failure.
  void start();
  void stop();
  bool isActive() const;

  // One reload. Opens the database first if needed (creating it, as every zoolab command does).
  // Emits runsChanged on the first successful poll, then only when a run appeared or vanished, or a
  // run's status, progress, heartbeat, details or metric summaries changed.
  void poll();

  // The message of the last failure; empty once a poll succeeds again.
  const QString& lastError() const { return m_lastError; }

  // summaries[i] belongs to runs[i]; runs are newest first (Store::list_runs).
  Q_SIGNAL void runsChanged(const std::vector<zoolab::RunRecord>& runs,
                            const std::vector<std::vector<zoolab::MetricSummary>>& summaries);
  // The names of the sweeps by id, before the runsChanged that first lists a run of a sweep not named yet
  // (the run table's `sweep:` filter names them).
  Q_SIGNAL void sweepNamesChanged(const QMap<qint64, QString>& names);
  // A failure to open or read the database, once per distinct message. The next successful poll
  // emits runsChanged even when the runs are the same, so listeners can clear the error.
  Q_SIGNAL void errorOccurred(const QString& message);

 private:
  void openStore();
  void reportError(const QString& message);

  QString m_path;
  QTimer* m_timer = nullptr;
  int m_interval = kDefaultIntervalMs;  // the period asked for; the timer's may be longer (kPollBudgetFactor)
  std::unique_ptr<Store> m_store;
  // What was emitted last: the fingerprint to compare against, and the cache of summaries of runs
  // that can no longer change.
  bool m_hasEmitted = false;
  std::vector<RunRecord> m_runs;
  std::vector<std::vector<MetricSummary>> m_summaries;
  QMap<qint64, QString> m_sweepNames;
  QString m_lastError;
};

}  // namespace zoolab
