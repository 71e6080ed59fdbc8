#pragma once

// What the window does to runs in the database: queue a configuration, cancel, resume (requeue),
// rename, tag, annotate, recolour and delete, and the context menu that offers them. Every action opens
// the database, does one thing, and reports failures in a message box that names the run; the poller
// shows the result on its next read.

#include <QList>
#include <QObject>
#include <QString>

#include <nlohmann/json.hpp>

class QPoint;
class QWidget;

namespace zoolab {

class RunActions : public QObject {
  Q_OBJECT

 public:
  // `dialogParent` owns the message boxes and input dialogs.
  RunActions(QWidget* dialogParent, QObject* parent = nullptr);

  void setDatabasePath(const QString& path) { m_databasePath = path; }
  const QString& databasePath() const { return m_databasePath; }

  // Queues validated configurations; returns the new run ids (empty on failure, after telling the user).
  QList<qint64> enqueue(const std::vector<nlohmann::json>& configs);
  // Enqueues a sweep file as a named sweep (engine_bridge.h enqueueSweep); the ids of the runs created.
  QList<qint64> enqueueSweep(const nlohmann::json& spec);
  bool cancel(qint64 runId);
  bool resume(qint64 runId);
  // Asks first (unless `confirm` is false: tests); a running run is refused with the reason.
  bool remove(const QList<qint64>& runIds, bool confirm = true);
  bool rename(qint64 runId, const QString& name);
  bool setAnnotations(qint64 runId, const QString& tags, const QString& notes, const QString& colour);

  // The context menu over the selected runs, at a global position.
  void showContextMenu(const QList<qint64>& runIds, const QPoint& globalPosition);

  // A run's configuration, for "Duplicate and edit": the window loads it into the editor.
  Q_SIGNAL void duplicateRequested(qint64 runId);
  // Something was written: the window polls at once rather than at the next tick.
  Q_SIGNAL void databaseChanged();
  // New runs were queued: the window makes sure a worker is alive.
  Q_SIGNAL void runsQueued(const QList<qint64>& runIds);

 private:
  // Runs `action` against a freshly opened store; on failure shows `what` and the error, returns false.
  template <typename Action>
  bool withStore(const QString& what, Action action);
  void editRunText(qint64 runId, int field);

  QWidget* m_dialogParent = nullptr;
  QString m_databasePath;
};

}  // namespace zoolab
