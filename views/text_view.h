#pragma once

// The Text tab (issue 6): text runs' per-token validation losses and the AR-hit analysis. A run picker
// (run A, text runs only) and a "vs" picker (run B) above two pages: Slices (TextSlicesView: the slice
// table and perplexity bars of A, B and the other selected text runs, and the gap decomposition of A
// against B) and Tokens (TextTokenView: A's validation sequences coloured by loss, B beside it or the
// difference).
//
// Like CompareView it reads no database: the window's TextFeed (app/gui/text_feed.h) lists the text runs
// (setCandidates), answers runsChosen with the runs' data (setRuns) and rereads them when they validate
// again. The gap is computed here from the two loss sets (compare_token_losses, plain and cheap).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <QColor>
#include <QList>
#include <QString>
#include <QWidget>

#include "engine/text/ar_hits.h"
#include "engine/text/token_losses.h"
#include "views/status_line.h"

class QComboBox;
class QLabel;
class QPushButton;
class QShowEvent;
class QTabWidget;

namespace zoolab {

class TextSlicesView;
class TextTokenView;

class TextView : public QWidget {
  Q_OBJECT

 public:
  struct Candidate {
    qint64 id = 0;
    QString name;  // "3 · attention-tiny"
    QColor colour;
  };
  // One loaded text run. `losses` null: it has none yet (`note` says why); `vocabulary[id]` spells
  // token id (null: ids are shown, `note` may say why).
  struct Run {
    qint64 id = 0;
    QString name;
    QColor colour;
    std::shared_ptr<const TokenLossSet> losses;
    std::shared_ptr<const std::vector<std::string>> vocabulary;
    TextAnalysis analysis;  // analyze_token_losses(*losses)
    QString note;
  };

  // Child widgets carry these object names: "runCombo", "vsCombo", "refreshButton", "statusLabel",
  // "textPages", "slicesView", "tokenView".
  explicit TextView(QWidget* parent = nullptr);
  ~TextView() override;

  // The text runs the pickers offer, in this order.
  void setCandidates(const QList<Candidate>& candidates);
  const QList<Candidate>& candidates() const { return m_candidates; }
  // Picks A and B (0: none) without emitting runsChosen (the owner chose them).
  void setChosenRuns(qint64 runA, qint64 runB);
  qint64 runA() const { return m_runA; }
  qint64 runB() const { return m_runB; }
  // The loaded runs: A, B and others to tabulate beside them. Redraws what changed.
  void setRuns(std::vector<Run> runs);
  const std::vector<Run>& runs() const { return m_runs; }
  void setStatus(const QString& text, bool error = false);

  TextSlicesView* slicesView() const { return m_slices; }
  TextTokenView* tokenView() const { return m_tokens; }
  QTabWidget* pages() const { return m_pages; }
  QComboBox* runCombo() const { return m_runCombo; }
  QComboBox* vsCombo() const { return m_vsCombo; }
  StatusLine* statusLabel() const { return m_status; }

  // The user picked run A or B in the pickers: the owner answers with setRuns.
  Q_SIGNAL void runsChosen(qint64 runA, qint64 runB);
  Q_SIGNAL void refreshRequested();
  // The tab became visible (a hidden tab does not reread the database).
  Q_SIGNAL void shown();

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void rebuildCombos();
  void redraw();
  const Run* find(qint64 id) const;

  QList<Candidate> m_candidates;
  qint64 m_runA = 0;
  qint64 m_runB = 0;
  std::vector<Run> m_runs;
  // What a drawing depends on: the chosen A and B (their names and notes: a run without losses is drawn
  // as its note, which changes when it ends), then each shown run's id, loss set and vocabulary (the
  // feed makes new ones only when the database changed), name and note. A poll that changes none of
  // these redraws nothing.
  struct Drawn {
    qint64 id = 0;
    const void* losses = nullptr;
    const void* vocabulary = nullptr;
    QString name;
    QString note;
    bool operator==(const Drawn& other) const {
      return id == other.id && losses == other.losses && vocabulary == other.vocabulary &&
             name == other.name && note == other.note;
    }
  };
  std::vector<Drawn> m_drawn;

  QComboBox* m_runCombo = nullptr;
  QComboBox* m_vsCombo = nullptr;
  QPushButton* m_refreshButton = nullptr;
  StatusLine* m_status = nullptr;
  QTabWidget* m_pages = nullptr;
  TextSlicesView* m_slices = nullptr;
  TextTokenView* m_tokens = nullptr;
};

}  // namespace zoolab
