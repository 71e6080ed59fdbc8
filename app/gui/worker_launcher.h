#pragma once

// Finds zoolab-cli and starts the database's worker as a detached process when none is alive
// (docs/architecture.md#how-the-window-starts-a-worker), so runs queued from the window train, and keep
// training after it closes.

#include <QString>

namespace zoolab {

class Store;

class WorkerLauncher {
 public:
  // zoolab-cli beside this executable (build tree and installed layout), else $ZOOLAB_CLI, else on PATH;
  // empty when there is none.
  static QString findCli();

  struct Result {
    bool started = false;  // a new worker process was started (it registers itself within a second)
    QString error;         // what went wrong, worded for the status bar; empty on success
  };
  // Starts `zoolab-cli worker --db <store> --slots N [--threads T] --log <files>/logs/worker.log` unless a
  // live worker serves the database.
  static Result ensureWorker(const Store& store, int slots, int threads);
};

}  // namespace zoolab
