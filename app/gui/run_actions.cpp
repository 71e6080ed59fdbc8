#include "app/gui/run_actions.h"

#include <exception>
#include <optional>
#include <stdexcept>

#include <QColorDialog>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>
#include <QWidget>

#include "app/gui/engine_bridge.h"
#include "engine/store/store.h"
#include "engine/worker/trainer_process.h"

namespace zoolab {

namespace {

enum TextField { NameField, TagsField, NotesField };

}  // namespace

RunActions::RunActions(QWidget* dialogParent, QObject* parent)
    : QObject(parent), m_dialogParent(dialogParent) {}

template <typename Action>
bool RunActions::withStore(const QString& what, Action action) {
  try {
    Store store(m_databasePath.toStdString());
    action(store);
  } catch (const std::exception& error) {
    QMessageBox::warning(m_dialogParent, tr("zoolab"),
                         tr("%1 failed:\n\n%2").arg(what, QString::fromUtf8(error.what())));
    return false;
  }
  Q_EMIT databaseChanged();
  return true;
}

QList<qint64> RunActions::enqueue(const std::vector<nlohmann::json>& configs) {
  QList<qint64> ids;
  // All or nothing: a sweep with one invalid point queues none of them.
  const bool ok = withStore(tr("Queueing %n run(s)", nullptr, int(configs.size())), [&](Store& store) {
    for (const auto& config : configs) {
      const QString problem = validateConfig(config);
      if (!problem.isEmpty()) {
        throw std::runtime_error(problem.toStdString());
      }
    }
    for (const auto& config : configs) {
      ids << enqueueConfig(store, config);
    }
  });
  if (ok && !ids.isEmpty()) {
    Q_EMIT runsQueued(ids);
  }
  return ok ? ids : QList<qint64>{};
}

QList<qint64> RunActions::enqueueSweep(const nlohmann::json& spec) {
  QList<qint64> ids;
  const QString name = QString::fromStdString(spec.value("name", std::string()));
  const bool ok = withStore(tr("Queueing sweep %1").arg(name), [&](Store& store) {
    for (const int64_t id : zoolab::enqueueSweep(store, spec)) {
      ids << id;
    }
  });
  if (ok && !ids.isEmpty()) {
    Q_EMIT runsQueued(ids);
  }
  return ok ? ids : QList<qint64>{};
}

bool RunActions::cancel(qint64 runId) {
  return withStore(tr("Cancelling run %1").arg(runId), [&](Store& store) {
    const auto run = store.find_run(runId);
    if (!run) {
      throw std::runtime_error("the run no longer exists");
    }
    store.request_cancel(runId);
    // A worker forwards the request to its trainer; a trainer started by hand (`zoolab-cli train`)
    // has no worker, so signal it directly as `zoolab-cli cancel` does.
    if (run->status == RunStatus::Running && run->pid > 0) {
      terminate_trainer(run->pid);
    }
  });
}

bool RunActions::resume(qint64 runId) {
  const bool ok =
      withStore(tr("Resuming run %1").arg(runId), [&](Store& store) { store.requeue_run(runId); });
  if (ok) {
    Q_EMIT runsQueued({runId});
  }
  return ok;
}

bool RunActions::remove(const QList<qint64>& runIds, bool confirm) {
  if (runIds.isEmpty()) {
    return false;
  }
  if (confirm) {
    const QString question =
        runIds.size() == 1 ? tr("Delete run %1 with its metrics and checkpoint files?").arg(runIds.front())
                           : tr("Delete %1 runs with their metrics and checkpoint files?").arg(runIds.size());
    if (QMessageBox::question(m_dialogParent, tr("Delete runs"), question + tr("\n\nThis cannot be undone."),
                              QMessageBox::Yes | QMessageBox::Cancel,
                              QMessageBox::Cancel) != QMessageBox::Yes) {
      return false;
    }
  }
  return withStore(tr("Deleting"), [&](Store& store) {
    for (const qint64 id : runIds) {
      store.delete_run(id);
    }
  });
}

bool RunActions::rename(qint64 runId, const QString& name) {
  return withStore(tr("Renaming run %1").arg(runId),
                   [&](Store& store) { store.rename_run(runId, name.trimmed().toStdString()); });
}

bool RunActions::setAnnotations(qint64 runId, const QString& tags, const QString& notes,
                                const QString& colour) {
  return withStore(tr("Annotating run %1").arg(runId), [&](Store& store) {
    store.set_run_annotations(runId, tags.trimmed().toStdString(), notes.toStdString(), colour.toStdString());
  });
}

void RunActions::editRunText(qint64 runId, int field) {
  std::optional<RunRecord> run;
  if (!withStore(tr("Reading run %1").arg(runId), [&](Store& store) { run = store.find_run(runId); }) ||
      !run) {
    return;
  }
  bool ok = false;
  switch (field) {
    case NameField: {
      const QString name = QInputDialog::getText(m_dialogParent, tr("Rename run %1").arg(runId), tr("Name:"),
                                                 QLineEdit::Normal, QString::fromStdString(run->name), &ok);
      if (ok && !name.trimmed().isEmpty()) {
        rename(runId, name);
      }
      break;
    }
    case TagsField: {
      const QString tags = QInputDialog::getText(m_dialogParent, tr("Tags of run %1").arg(runId),
                                                 tr("Tags (comma-separated):"), QLineEdit::Normal,
                                                 QString::fromStdString(run->tags), &ok);
      if (ok) {
        setAnnotations(runId, tags, QString::fromStdString(run->notes), QString::fromStdString(run->colour));
      }
      break;
    }
    case NotesField: {
      const QString notes =
          QInputDialog::getMultiLineText(m_dialogParent, tr("Notes on run %1").arg(runId), tr("Notes:"),
                                         QString::fromStdString(run->notes), &ok);
      if (ok) {
        setAnnotations(runId, QString::fromStdString(run->tags), notes, QString::fromStdString(run->colour));
      }
      break;
    }
  }
}

void RunActions::showContextMenu(const QList<qint64>& runIds, const QPoint& globalPosition) {
  if (runIds.isEmpty()) {
    return;
  }
  const qint64 first = runIds.front();
  // Offer only what applies to some selected run, so no menu entry ends in an error box.
  QList<qint64> cancellable;
  QList<qint64> resumable;
  bool anyRunning = false;
  try {
    const Store store(m_databasePath.toStdString());
    for (const qint64 id : runIds) {
      if (const auto run = store.find_run(id)) {
        if (run->status == RunStatus::Queued || run->status == RunStatus::Running) {
          cancellable << id;
        }
        if (run->status == RunStatus::Cancelled || run->status == RunStatus::Interrupted) {
          resumable << id;
        }
        anyRunning = anyRunning || run->status == RunStatus::Running;
      }
    }
  } catch (const std::exception&) {
    // Unreadable now: the entries stay off, and the poller reports the database error.
  }
  QMenu menu(m_dialogParent);
  menu.addAction(tr("Cancel"), this,
                 [this, cancellable] {
                   for (const qint64 id : cancellable) {
                     cancel(id);
                   }
                 })
      ->setEnabled(!cancellable.isEmpty());
  menu.addAction(tr("Resume"), this,
                 [this, resumable] {
                   for (const qint64 id : resumable) {
                     resume(id);
                   }
                 })
      ->setEnabled(!resumable.isEmpty());
  menu.addAction(tr("Duplicate and Edit…"), this, [this, first] { Q_EMIT duplicateRequested(first); });
  menu.addSeparator();
  QAction* renameAction =
      menu.addAction(tr("Rename…"), this, [this, first] { editRunText(first, NameField); });
  QAction* tagsAction = menu.addAction(tr("Tags…"), this, [this, first] { editRunText(first, TagsField); });
  QAction* notesAction =
      menu.addAction(tr("Notes…"), this, [this, first] { editRunText(first, NotesField); });
  // Per-run fields: offered for one run at a time, so no edit silently applies to only the first.
  for (QAction* action : {renameAction, tagsAction, notesAction}) {
    action->setEnabled(runIds.size() == 1);
  }
  menu.addAction(tr("Colour…"), this, [this, runIds] {
    const QColor colour = QColorDialog::getColor(Qt::white, m_dialogParent, tr("Run colour"));
    if (!colour.isValid()) {
      return;
    }
    for (const qint64 id : runIds) {
      std::optional<RunRecord> run;
      if (withStore(tr("Reading run %1").arg(id), [&](Store& store) { run = store.find_run(id); }) && run) {
        setAnnotations(id, QString::fromStdString(run->tags), QString::fromStdString(run->notes),
                       colour.name());
      }
    }
  });
  menu.addSeparator();
  QAction* deleteAction = menu.addAction(tr("Delete…"), this, [this, runIds] { remove(runIds); });
  // A running run is refused by the store; say why here instead.
  deleteAction->setEnabled(!anyRunning);
  if (anyRunning) {
    deleteAction->setText(tr("Delete… (cancel the running runs first)"));
  }
  menu.exec(globalPosition);
}

}  // namespace zoolab
