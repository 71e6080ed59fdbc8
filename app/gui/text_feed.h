#pragma once

// Feeds the Text tab (views/text_view.h) from the database: the text runs for its pickers, and
// for run A, run B and the other selected text runs their newest per-token validation losses
// (Store::token_losses, decode_token_losses), their AR-hit analysis (analyze_token_losses) and how to
// spell their tokens. The tokens are decoded here, in one place: the run's shards folder (recorded in the
// loss set) holds the tokenizer.json that `zoolab-cli data tokenize` copied there; without it the view
// shows token ids.
//
// It reads on the GUI thread, as the Inspector does: a loss set is one blob (12 bytes a token, ~100 KB
// for 64 sequences of 129 tokens), reread only when the window's poller reports a change (a validation
// adds metrics) and only while the tab is visible; a hidden tab catches up when shown. A blob whose
// step and size (Store::token_losses_version) did not change is not read nor decoded again (Refresh
// rereads everything), and the view redraws only what changed.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <QList>
#include <QObject>
#include <QString>

#include "engine/store/records.h"
#include "engine/text/ar_hits.h"
#include "engine/text/token_losses.h"
#include "views/lazy_store.h"

namespace zoolab {

class Store;
class TextView;

class TextFeed : public QObject {
  Q_OBJECT

 public:
  explicit TextFeed(TextView* view, QObject* parent = nullptr);
  ~TextFeed() override;

  void setDatabasePath(const QString& path);
  // The database's runs (the window's poller): the text runs among them become the pickers' candidates,
  // and the shown runs are reread.
  void setRuns(const std::vector<RunRecord>& runs);
  // The run table's selection: its first text run becomes A, its second B.
  void setSelectedRuns(const QList<qint64>& runIds);
  // Rereads the shown runs now (visible or not).
  void refresh();

  static bool isTextRun(const RunRecord& run) { return run.task == "text"; }
  // Token id → its bytes, from <shards>/tokenizer.json; null when it cannot be read (`note` says why).
  static std::shared_ptr<const std::vector<std::string>> loadVocabulary(const std::string& shards,
                                                                        QString* note);

 private:
  struct Loaded {
    // The row's (step, bytes) when it was read (Store::token_losses_version): while they stay the same
    // the blob is neither read nor decoded again, so a poll during training costs one small query a run.
    std::pair<int64_t, int64_t> version{-1, -1};
    std::shared_ptr<const TokenLossSet> losses;
    TextAnalysis analysis;
    QString error;
  };

  void onRunsChosen(qint64 runA, qint64 runB);
  // Rereads the shown runs when the tab is visible (or `force`), else marks it stale.
  void load(bool force);
  QString runName(qint64 runId) const;
  const RunRecord* runRecord(qint64 runId) const;
  std::shared_ptr<const std::vector<std::string>> vocabulary(const std::string& shards, QString* note);

  TextView* m_view;
  LazyStore m_store;
  std::vector<RunRecord> m_runs;  // the text runs
  QList<qint64> m_selected;       // the text runs among the selection, in its order
  std::map<qint64, Loaded> m_loaded;
  std::map<std::string, std::pair<std::shared_ptr<const std::vector<std::string>>, QString>> m_vocabularies;
  bool m_stale = true;
};

}  // namespace zoolab
