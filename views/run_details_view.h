#pragma once

// One run in full: what it is (mixer, shape, seed, device), where it stands (status, progress, the error
// text of a failed run), its checkpoints and its configuration, with the actions a researcher takes on
// a run. It only shows records and emits requests: the window carries them out against the database.

#include <optional>
#include <vector>

#include <QWidget>

#include "engine/store/records.h"

class QFormLayout;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace zoolab {

class RunDetailsView : public QWidget {
  Q_OBJECT

 public:
  explicit RunDetailsView(QWidget* parent = nullptr);

  // Shows `run` (its best metrics from `summaries`, its checkpoints newest last); keeps the config's
  // scroll position when the same run is shown again on a poll.
  void setRun(const RunRecord& run, const std::vector<MetricSummary>& summaries,
              const std::vector<CheckpointRecord>& checkpoints);
  // No run selected: a hint instead of the fields.
  void clear();
  std::optional<qint64> runId() const { return m_runId; }

  QPushButton* cancelButton() const { return m_cancelButton; }
  QPushButton* resumeButton() const { return m_resumeButton; }
  QPushButton* duplicateButton() const { return m_duplicateButton; }
  QPushButton* deleteButton() const { return m_deleteButton; }
  // The text of a field ("Status", "Error", ...) as shown, for tests and screenshots' descriptions.
  QString fieldText(const QString& label) const;
  QString configText() const;

  // Stop a queued or running run (a running one checkpoints first).
  Q_SIGNAL void cancelRequested(qint64 runId);
  // Queue a cancelled or interrupted run again; the worker resumes it from its last checkpoint.
  Q_SIGNAL void resumeRequested(qint64 runId);
  // Open the run's configuration in the editor as a new run.
  Q_SIGNAL void duplicateRequested(qint64 runId);
  // Delete the run, its metrics and its files (the window asks for confirmation).
  Q_SIGNAL void deleteRequested(qint64 runId);

 private:
  QLabel* addField(const QString& label);

  std::optional<qint64> m_runId;
  std::string m_configJson;  // what configText() shows, to skip re-setting identical text
  QLabel* m_title = nullptr;
  QLabel* m_hint = nullptr;
  QWidget* m_body = nullptr;
  QFormLayout* m_form = nullptr;
  std::vector<std::pair<QString, QLabel*>> m_fields;
  QPlainTextEdit* m_error = nullptr;
  QTreeWidget* m_checkpoints = nullptr;
  QPlainTextEdit* m_config = nullptr;
  QPushButton* m_cancelButton = nullptr;
  QPushButton* m_resumeButton = nullptr;
  QPushButton* m_duplicateButton = nullptr;
  QPushButton* m_deleteButton = nullptr;
};

}  // namespace zoolab
