#pragma once

// The Probe page of the recall inspector: any token sequence through a run's latest checkpoint.
// The user types or edits a sequence (or generates an example of a test segment), and the predictions at
// every position and the patterns of that sequence update as they type (debounced by kDebounceMs).
//
// Torch-free: the view only asks (loadRequested, generateRequested, probeRequested) and shows what comes
// back (setModel, setExample, setResult, and the errors); app/gui/probe_runner runs the engine's Probe on
// a worker thread and answers. Input errors, the editor's own (a token that is not an integer) and the
// engine's (a token outside the vocabulary, a sequence too long), are shown under the editor; the text
// and the last result stay.
//
// The sequence is written as whitespace-separated token ids. A query (a position whose prediction is
// scored) is marked "K?" to be scored against the value that followed key K's first earlier occurrence
// (the context's pair, as MQAR lays it out), or "K:T" to give its target T explicitly. Generated examples
// are written this way, so editing a context value changes the target of its query with it.

#include <cstdint>
#include <vector>

#include <QString>
#include <QStringList>
#include <QWidget>

#include "engine/inspect/probe_result.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QShowEvent;
class QSpinBox;
class QSplitter;
class QTableWidget;
class QTimer;

namespace zoolab {

class PatternView;
class TokenStrip;

// What a loaded checkpoint offers the page.
struct ProbeModelInfo {
  qint64 runId = 0;
  qint64 epoch = 0;      // completed epochs of the checkpoint
  QStringList segments;  // the run's test segments, described ("L=64, 4 kv pairs")
  int64_t vocabSize = 0;
  int64_t maxLength = 0;  // the longest sequence the model takes
};

class ProbeView : public QWidget {
  Q_OBJECT

 public:
  static constexpr int kDebounceMs = 150;

  // The editor's text as a request.
  struct ParsedSequence {
    std::vector<int64_t> tokens;
    std::vector<int64_t> labels;  // -100 where not a query
    QString error;                // empty when the text is a valid sequence
  };
  // Parses "3 40 7 3?" / "3 40 7 3:40" (see the top of this file); the error names the word and its
  // position.
  static ParsedSequence parseSequence(const QString& text);
  // Writes a sequence the way parseSequence reads it back: "K?" where the target is the one derived
  // from the context, "K:T" where it is not.
  static QString formatSequence(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels);

  // Child widgets carry these object names: "runLabel", "sequenceEdit", "segmentCombo", "seedSpin",
  // "generateButton", "mixingCheck", "reloadButton", "errorLabel", "summaryLabel", "tokenStrip",
  // "predictionTable", "patternView".
  explicit ProbeView(QWidget* parent = nullptr);
  ~ProbeView() override;

  // The run to probe (0: none). Its checkpoint is asked for (loadRequested) now if the page is visible,
  // else when it is shown.
  void setRun(qint64 runId);
  qint64 runId() const { return m_runId; }
  // Asks for the run's latest checkpoint again (a run still training writes newer ones).
  void reload();

  // ---- Answers (from app/gui/probe_runner) ----
  // The run's checkpoint is loaded: editing is enabled and the sequence shown is run (or, when there is
  // none, an example of the first segment is generated).
  void setModel(const ProbeModelInfo& info);
  // The checkpoint could not be loaded (a run without one: "no checkpoint").
  void setLoadError(qint64 runId, const QString& message);
  // A generated example: written into the editor and run at once.
  void setExample(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels);
  void setResult(const ProbeResult& result);
  // The engine refused the sequence (std::invalid_argument's message) or failed.
  void setRunError(const QString& message);

  // ---- The sequence ----
  // Replaces the editor's text as typing would: the probe runs kDebounceMs later.
  void setSequenceText(const QString& text);
  QString sequenceText() const;
  // Runs the editor's sequence now (skipping the debounce).
  void runNow();
  void generate();
  bool mixingMatrix() const;

  // ---- State, for tests and screenshots ----
  bool hasModel() const { return m_model.runId != 0; }
  const ProbeModelInfo& model() const { return m_model; }
  bool hasResult() const { return m_hasResult; }
  const ProbeResult& result() const { return m_result; }
  // The error under the editor (empty when none).
  QString errorText() const;
  QString runLabelText() const;
  QString summaryText() const;
  int requestCount() const { return m_requestCount; }
  PatternView* patternView() const { return m_patterns; }
  TokenStrip* tokenStrip() const { return m_strip; }
  QTableWidget* predictionTable() const { return m_table; }
  QLineEdit* sequenceEdit() const { return m_edit; }
  QPushButton* generateButton() const { return m_generateButton; }

  // The page needs the checkpoint of `runId` (0: none; the runner then forgets its model).
  Q_SIGNAL void loadRequested(qint64 runId);
  // An example of test segment `segment` drawn with `seed`.
  Q_SIGNAL void generateRequested(qint64 segment, quint64 seed);
  Q_SIGNAL void probeRequested(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels,
                               bool mixingMatrix);
  // A result was shown.
  Q_SIGNAL void resultShown();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void buildLayout();
  void requestLoad();
  void setError(const QString& message);
  void setEditingEnabled(bool enabled);
  void showResult();

  qint64 m_runId = 0;
  bool m_loadPending = false;  // setRun while hidden: ask when shown
  ProbeModelInfo m_model;
  bool m_hasResult = false;
  ProbeResult m_result;
  int m_requestCount = 0;

  QLabel* m_runLabel = nullptr;
  QLineEdit* m_edit = nullptr;
  QComboBox* m_segmentCombo = nullptr;
  QSpinBox* m_seedSpin = nullptr;
  QPushButton* m_generateButton = nullptr;
  QCheckBox* m_mixingCheck = nullptr;
  QPushButton* m_reloadButton = nullptr;
  QLabel* m_error = nullptr;
  QLabel* m_summary = nullptr;
  TokenStrip* m_strip = nullptr;
  QTableWidget* m_table = nullptr;
  QSplitter* m_splitter = nullptr;
  bool m_tableFitted = false;  // the splitter gave the table its columns' width once
  PatternView* m_patterns = nullptr;
  QTimer* m_debounce = nullptr;
};

}  // namespace zoolab
