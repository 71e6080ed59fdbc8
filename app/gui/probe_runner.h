#pragma once

// Runs the Probe page's requests (views/probe_view.h) on a worker thread
// (docs/architecture.md#analysis-inside-the-window: interactive analysis runs in-process on a worker thread
// and returns plain structs), so a forward pass, and the mixing matrix's backward passes, never freeze the
// window. The worker object owns the engine's Probe (engine/train/probe.h, torch-free header) and the
// database connection it loaded it from; it lives on this runner's QThread and is only ever called there.
//
// The latest request wins: requests queue up while one is computed, and the worker skips every run
// request older than the newest (typing fast costs one run, not one per key), and the runner drops
// answers that are no longer the newest (a run for the previous text, a model of a run no longer shown).

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include <QObject>
#include <QString>
#include <QThread>

#include "engine/inspect/probe_result.h"
#include "views/probe_view.h"

namespace zoolab {

class ProbeWorker;

class ProbeRunner : public QObject {
  Q_OBJECT

 public:
  explicit ProbeRunner(QObject* parent = nullptr);
  // Waits for the request being computed, then stops the thread.
  ~ProbeRunner() override;

  // The database whose runs' checkpoints are loaded; forgets the model loaded from another one.
  void setDatabasePath(const QString& path);
  const QString& databasePath() const { return m_databasePath; }

  // Makes `view`'s requests this runner's and its answers the view's (the connections die with either).
  void attach(ProbeView* view);

  // Loads the latest checkpoint of `runId` (0: forgets the model). Answers loaded or loadFailed.
  void load(qint64 runId);
  // An example of test segment `segment` drawn with `seed`. Answers generated or runFailed.
  void generate(qint64 segment, quint64 seed);
  // Answers resultReady or runFailed, unless a newer run request came first.
  void run(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels, bool mixingMatrix);

  // Requests sent and not answered yet (skipped ones count as answered when skipped).
  int pending() const { return m_pending; }
  // Run requests the worker computed, and skipped as stale (tests check that typing coalesces).
  int computedRuns() const { return m_computed->load(); }
  int skippedRuns() const { return m_skipped->load(); }

  Q_SIGNAL void loaded(const ProbeModelInfo& info);
  Q_SIGNAL void loadFailed(qint64 runId, const QString& message);
  Q_SIGNAL void generated(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels);
  Q_SIGNAL void resultReady(const ProbeResult& result);
  Q_SIGNAL void runFailed(const QString& message);

 private:
  // Queues `job` for the worker thread (it answers by posting back to this thread).
  void post(std::function<void(ProbeWorker&)> job);
  void finishOne();

  QString m_databasePath;
  QThread m_thread;
  ProbeWorker* m_worker = nullptr;
  qint64 m_runId = 0;
  // Bumped by every load: answers of an older load, and runs against its model, are dropped.
  quint64 m_loadGeneration = 0;
  // The newest run request; shared with the worker, which skips older ones still queued.
  std::shared_ptr<std::atomic<quint64>> m_latestRun = std::make_shared<std::atomic<quint64>>(0);
  quint64 m_nextRun = 0;
  int m_pending = 0;
  std::shared_ptr<std::atomic<int>> m_computed = std::make_shared<std::atomic<int>>(0);
  std::shared_ptr<std::atomic<int>> m_skipped = std::make_shared<std::atomic<int>>(0);
};

}  // namespace zoolab
