#pragma once

// Reads what the window itself shows beside its views: the latest checkpoint of the run whose details
// are shown (Store::latest_checkpoint) and the database's live worker for the status bar
// (Store::live_worker). It lives on the window's feed thread, like the views' feeds
// (docs/architecture.md#data-path), and is asked at every poll and selection change.

#include <memory>
#include <optional>

#include <QObject>
#include <QString>

#include "engine/store/records.h"

namespace zoolab {

class Store;

// What the window asks for: the run whose details are shown (0: none).
struct WindowRequest {
  qint64 runId = 0;
};

// The answer to a WindowRequest. Plain data: built on the feed's thread, read on the GUI's.
struct WindowData {
  QString databasePath;  // the database read, so an answer about a database no longer shown is dropped
  qint64 runId = 0;
  std::optional<CheckpointRecord> latestCheckpoint;  // of runId, when it has one
  std::optional<WorkerRecord> liveWorker;            // none: no worker serves the database
  QString error;  // why the database cannot be read (the poller reports it too)
};

class WindowFeed : public QObject {
  Q_OBJECT

 public:
  // Does not touch the file yet: the first load() opens it.
  explicit WindowFeed(const QString& databasePath, QObject* parent = nullptr);
  ~WindowFeed() override;

  // Reads what `request` asks for and answers loaded. Runs on the thread the feed lives on.
  void load(const zoolab::WindowRequest& request);

  Q_SIGNAL void loaded(std::shared_ptr<const zoolab::WindowData> data);

 private:
  QString m_path;
  std::unique_ptr<Store> m_store;
};

}  // namespace zoolab
