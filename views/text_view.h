#pragma once

// The Text tab: text runs' per-token validation losses and the AR-hit analysis. A run picker
// (run A, text runs only) and a "vs" picker (run B) above two pages: Slices (TextSlicesView: the slice
// table and perplexity bars of A, B and the other selected text runs, and the gap decomposition of A
// against B) and Tokens (TextTokenView: A's validation sequences coloured by loss, B beside it or the
// difference).
//
// It never opens the database: the window hands it the database's runs (setDatabaseRuns, from its poller:
// the text runs become the pickers' candidates) and the run table's selection (setSelectedRuns: its first
// text run becomes A, its second B); the tab then asks its TextFeed (views/text_feed.h, on the window's
// feed thread) for the shown runs' losses with loadRequested, one request at a time and only while it is
// visible (a hidden tab catches up when shown), and draws the answer (setData). The gap is computed here
// from the two loss sets (compare_token_losses, plain and cheap).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <QColor>
#include <QList>
#include <QString>
#include <QWidget>

#include "engine/store/records.h"
#include "engine/text/ar_hits.h"
#include "engine/text/token_losses.h"
#include "views/status_line.h"
#include "views/text_feed.h"

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
  using Run = TextRun;

  // Child widgets carry these object names: "runCombo", "vsCombo", "refreshButton", "statusLabel",
  // "textPages", "slicesView", "tokenView".
  explicit TextView(QWidget* parent = nullptr);
  ~TextView() override;

  // Forgets the runs shown; what follows is read from the database at `path`.
  void setDatabasePath(const QString& path);
  // The database's runs (the window's poller): the text runs among them become the pickers' candidates,
  // and the shown runs are reread.
  void setDatabaseRuns(const std::vector<RunRecord>& runs);
  // The run table's selection: its first text run becomes A, its second B.
  void setSelectedRuns(const QList<qint64>& runIds);
  // Rereads every shown run now (visible or not), loss blobs and tokenizers included.
  void refresh();
  // The feed's answer to loadRequested; an answer about another database is dropped.
  void setData(std::shared_ptr<const zoolab::TextData> data);

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

  // The user picked run A or B in the pickers (the tab then asks for their losses).
  Q_SIGNAL void runsChosen(qint64 runA, qint64 runB);
  // Asks the feed for the shown runs (answered by setData).
  Q_SIGNAL void loadRequested(const zoolab::TextRequest& request);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  void rebuildCombos();
  void redraw();
  const Run* find(qint64 id) const;
  const RunRecord* textRun(qint64 runId) const;
  // Asks for the shown runs when the tab is visible (or `force`), else marks it stale.
  void load(bool force);
  // The status line for run A, from its loaded run.
  void showStatusOfA();

  QString m_databasePath;
  std::vector<RunRecord> m_textRuns;  // the database's text runs
  QList<qint64> m_selected;           // the text runs among the selection, in its order
  std::vector<qint64> m_reread;       // resumed runs, reread by the next request
  bool m_rereadAll = false;           // Refresh, for the next request
  bool m_stale = true;                // the shown runs changed while the tab was hidden
  bool m_loading = false;             // a request is unanswered
  bool m_pending = false;             // ask again when it is answered
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
