#pragma once

// Reads what the Text tab (views/text_view.h) draws: for the runs it asks about (A, B and the other
// selected text runs) their newest per-token validation losses (Store::token_losses,
// decode_token_losses), their AR-hit analysis (analyze_token_losses) and how to spell their tokens. It
// lives on the window's feed thread, like the other feeds (docs/architecture.md#data-path): reading,
// decoding and analysing a loss set never holds up the window, and the view only receives the finished
// runs.
//
// The tokens are decoded here, in one place: the run's shards folder (recorded in the loss set) holds the
// tokenizer.json that `zoolab-cli data tokenize` copied there; without it the view shows token ids. A loss
// set is one blob (12 bytes a token, ~100 KB for 64 sequences of 129 tokens); a blob whose step and size
// (Store::token_losses_version) did not change since the last read is neither read nor decoded again, so
// a poll during training costs one small query a run, and the view keeps its drawing.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <QColor>
#include <QObject>
#include <QString>

#include "engine/text/ar_hits.h"
#include "engine/text/token_losses.h"

namespace zoolab {

class Store;

// One text run as the Text tab draws it. `losses` null: it has none yet (`note` says why);
// `vocabulary[id]` spells token id (null: ids are shown, `note` may say why).
struct TextRun {
  qint64 id = 0;
  QString name;
  QColor colour;
  std::shared_ptr<const TokenLossSet> losses;
  std::shared_ptr<const std::vector<std::string>> vocabulary;
  TextAnalysis analysis;  // analyze_token_losses(*losses)
  QString note;
};

// What the Text tab asks for: the runs to read, A first, with what the answers say of them.
struct TextRequest {
  struct Wanted {
    qint64 id = 0;
    QString name;
    QColor colour;
    bool ended = false;  // a terminal status (or an unknown run): without losses now, it will have none
  };
  std::vector<Wanted> runs;
  // Runs whose stored losses may repeat a version already read (resumed: their losses past the
  // checkpoint were deleted, and the next validation may store the same step and size again).
  std::vector<qint64> reread;
  bool rereadAll = false;  // Refresh: every blob and tokenizer is read again
};

// The answer to a TextRequest. Plain data: built on the feed's thread, read on the GUI's.
struct TextData {
  QString databasePath;       // the database read, so an answer about a database no longer shown is dropped
  QString error;              // why the database cannot be opened (then `runs` is empty)
  std::vector<TextRun> runs;  // in the request's order
};

class TextFeed : public QObject {
  Q_OBJECT

 public:
  // Does not touch the file yet: the first load() opens it.
  explicit TextFeed(const QString& databasePath, QObject* parent = nullptr);
  ~TextFeed() override;

  // Reads the requested runs and answers loaded. Runs on the thread the feed lives on: connect a request
  // signal to it.
  void load(const zoolab::TextRequest& request);

  // Token id → its bytes, from <shards>/tokenizer.json; null when it cannot be read (`note` says why).
  static std::shared_ptr<const std::vector<std::string>> loadVocabulary(const std::string& shards,
                                                                        QString* note);

  Q_SIGNAL void loaded(std::shared_ptr<const zoolab::TextData> data);

 private:
  struct Loaded {
    std::pair<int64_t, int64_t> version{-1, -1};  // Store::token_losses_version when it was read
    std::shared_ptr<const TokenLossSet> losses;
    TextAnalysis analysis;
  };

  // Reads one run; a run with losses goes into `kept`, the cache of the next load.
  TextRun read(const TextRequest::Wanted& wanted, std::map<qint64, Loaded>& kept);
  std::shared_ptr<const std::vector<std::string>> vocabulary(const std::string& shards, QString* note);

  QString m_path;
  std::unique_ptr<Store> m_store;
  std::map<qint64, Loaded> m_loaded;  // the runs of the last answer
  std::map<std::string, std::pair<std::shared_ptr<const std::vector<std::string>>, QString>> m_vocabularies;
};

}  // namespace zoolab
