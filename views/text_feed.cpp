#include "views/text_feed.h"

#include <algorithm>
#include <exception>
#include <filesystem>

#include "engine/store/store.h"
#include "engine/text/byte_level_bpe.h"

namespace zoolab {

TextFeed::TextFeed(const QString& databasePath, QObject* parent) : QObject(parent), m_path(databasePath) {}

TextFeed::~TextFeed() = default;

std::shared_ptr<const std::vector<std::string>> TextFeed::loadVocabulary(const std::string& shards,
                                                                         QString* note) {
  if (shards.empty()) {
    *note = tr("The run's losses name no shards folder: tokens are shown as ids.");
    return nullptr;
  }
  const std::filesystem::path path = std::filesystem::path(shards) / "tokenizer.json";
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    *note = tr("%1 is missing: tokens are shown as ids (`zoolab-cli data tokenize` copies the "
               "tokenizer there).")
                .arg(QString::fromStdString(path.string()));
    return nullptr;
  }
  try {
    const BpeTokenizer tokenizer = BpeTokenizer::load(path.string());
    auto vocabulary = std::make_shared<std::vector<std::string>>();
    vocabulary->reserve(static_cast<size_t>(tokenizer.vocab_size()));
    for (int64_t id = 0; id < tokenizer.vocab_size(); ++id) {
      vocabulary->push_back(tokenizer.token_bytes(static_cast<int32_t>(id)));
    }
    note->clear();
    return vocabulary;
  } catch (const std::exception& failure) {
    *note = tr("Tokens are shown as ids: %1").arg(QString::fromUtf8(failure.what()));
    return nullptr;
  }
}

std::shared_ptr<const std::vector<std::string>> TextFeed::vocabulary(const std::string& shards,
                                                                     QString* note) {
  const auto cached = m_vocabularies.find(shards);
  if (cached != m_vocabularies.end()) {
    *note = cached->second.second;
    return cached->second.first;
  }
  auto vocabulary = loadVocabulary(shards, note);
  m_vocabularies[shards] = {vocabulary, *note};
  return vocabulary;
}

void TextFeed::load(const TextRequest& request) {
  auto data = std::make_shared<TextData>();
  data->databasePath = m_path;
  if (request.rereadAll) {
    m_loaded.clear();
    m_vocabularies.clear();
  }
  for (const qint64 id : request.reread) {
    m_loaded.erase(id);
  }
  try {
    if (!m_store) {
      m_store = std::make_unique<Store>(m_path.toStdString());
    }
  } catch (const std::exception& error) {
    // The store's messages name the file. The next load opens it afresh.
    data->error = QString::fromUtf8(error.what());
    Q_EMIT loaded(std::move(data));
    return;
  }
  std::map<qint64, Loaded> kept;
  for (const TextRequest::Wanted& wanted : request.runs) {
    data->runs.push_back(read(wanted, kept));
  }
  m_loaded = std::move(kept);
  Q_EMIT loaded(std::move(data));
}

TextRun TextFeed::read(const TextRequest::Wanted& wanted, std::map<qint64, Loaded>& kept) {
  TextRun run;
  run.id = wanted.id;
  run.name = wanted.name;
  run.colour = wanted.colour;
  Loaded entry;
  const auto previous = m_loaded.find(wanted.id);
  try {
    // One small query a run and poll; the blob (~100 KB) only when a validation replaced it.
    const std::optional<std::pair<int64_t, int64_t>> version = m_store->token_losses_version(wanted.id);
    const bool unchanged = version && previous != m_loaded.end() && previous->second.losses &&
                           previous->second.version == *version;
    std::optional<std::string> blob;
    if (version && !unchanged) {
      blob = m_store->token_losses(wanted.id);
    }
    if (unchanged) {
      entry = previous->second;  // same set, so the view keeps its drawing
    } else if (!blob) {
      run.note = wanted.ended ? tr("Run %1 stored no per-token losses (it ended before its first "
                                   "validation, or is not a text run).")
                                    .arg(run.name)
                              : tr("Run %1 has no per-token losses yet: its trainer stores them at each "
                                   "validation (train.eval_interval).")
                                    .arg(run.name);
    } else {
      auto set = std::make_shared<TokenLossSet>(decode_token_losses(*blob));
      blob.reset();  // decoded: the bytes are not kept
      entry.analysis = analyze_token_losses(*set);
      entry.losses = std::move(set);
      entry.version = *version;
    }
  } catch (const std::exception& error) {
    run.note =
        tr("Run %1's per-token losses cannot be read: %2").arg(run.name, QString::fromUtf8(error.what()));
  }
  if (entry.losses) {
    run.losses = entry.losses;
    run.analysis = entry.analysis;
    run.vocabulary = vocabulary(entry.losses->shards, &run.note);
    kept.emplace(wanted.id, std::move(entry));
  }
  return run;
}

}  // namespace zoolab
