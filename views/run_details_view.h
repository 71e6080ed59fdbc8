#pragma once

// One run in full: what it is (mixer, shape, seed, device), where it stands (status, progress, the error
// text of a failed run, the reason a cancelled or interrupted one stopped), its checkpoints and its
// configuration, with the actions a researcher takes on a run. An MQAR run is described by epochs and
// accuracy, a text run (task "text") by steps, tokens and validation perplexity. It only shows records
// and emits requests: the window carries them out against the database.

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
  // No run selected: a hint instead of the fields (`hint`: another text, e.g. how to start a first run).
  void clear(const QString& hint = QString());
  std::optional<qint64> runId() const { return m_runId; }

  QPushButton* cancelButton() const { return m_cancelButton; }
  QPushButton* resumeButton() const { return m_resumeButton; }
  QPushButton* duplicateButton() const { return m_duplicateButton; }
  QPushButton* deleteButton() const { return m_deleteButton; }
  // The text of a field ("Status", "Error", ...) as shown, for tests and screenshots' descriptions; a
  // field is named by its key (the MQAR label: "Best accuracy", "Finished", "Error") or by the label it
  // shows now ("Best perplexity", "Cancelled", "Why it stopped").
  QString fieldText(const QString& label) const;
  // The label a field shows now ("Best accuracy" of an MQAR run is "Best perplexity" of a text run).
  QString fieldLabel(const QString& key) const;
  // Whether the Error box is drawn in the error colour (a failed or diverged run, not a cancelled one).
  bool showsErrorColour() const { return m_errorIsFailure; }
  QString hintText() const;
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
  struct Field {
    QString key;    // the name set() uses
    QString shown;  // the label shown now
    QLabel* label = nullptr;
    QLabel* value = nullptr;
  };
  QLabel* addField(const QString& label);
  void setField(const QString& key, const QString& text);
  void relabel(const QString& key, const QString& shown);
  void showProgress(const RunRecord& run, const std::vector<MetricSummary>& summaries);
  void showTextProgress(const RunRecord& run, const std::vector<MetricSummary>& summaries);
  void showEnd(const RunRecord& run);

  std::optional<qint64> m_runId;
  std::string m_configJson;  // what configText() shows, to skip re-setting identical text
  QLabel* m_title = nullptr;
  QLabel* m_hint = nullptr;
  QWidget* m_body = nullptr;
  QFormLayout* m_form = nullptr;
  std::vector<Field> m_fields;
  QLabel* m_errorTitle = nullptr;
  QPlainTextEdit* m_error = nullptr;
  bool m_errorIsFailure = false;
  QTreeWidget* m_checkpoints = nullptr;
  QPlainTextEdit* m_config = nullptr;
  QPushButton* m_cancelButton = nullptr;
  QPushButton* m_resumeButton = nullptr;
  QPushButton* m_duplicateButton = nullptr;
  QPushButton* m_deleteButton = nullptr;
};

}  // namespace zoolab
