#include "app/gui/text_feed.h"

#include <algorithm>
#include <filesystem>

#include "engine/store/store.h"
#include "engine/text/byte_level_bpe.h"
#include "views/run_colours.h"
#include "views/text_view.h"

namespace zoolab {

namespace {

QString runLabel(const RunRecord& run) {
  return QStringLiteral("%1 · %2").arg(run.id).arg(QString::fromStdString(run.name));
}

}  // namespace

TextFeed::TextFeed(TextView* view, QObject* parent) : QObject(parent), m_view(view) {
  connect(m_view, &TextView::runsChosen, this, &TextFeed::onRunsChosen);
  connect(m_view, &TextView::refreshRequested, this, &TextFeed::refresh);
  connect(m_view, &TextView::shown, this, [this] {
    if (m_stale) {
      load(/*force=*/false);
    }
  });
}

TextFeed::~TextFeed() = default;

void TextFeed::setDatabasePath(const QString& path) {
  m_store.setPath(path);
  m_runs.clear();
  m_selected.clear();
  m_loaded.clear();
  m_view->setCandidates({});
  m_view->setChosenRuns(0, 0);
  m_view->setRuns({});
  m_view->setStatus(
      TextView::tr("Select a text run (\"task\": \"text\") in the run table, or pick one here."));
  m_stale = true;
}

const RunRecord* TextFeed::runRecord(qint64 runId) const {
  for (const RunRecord& run : m_runs) {
    if (run.id == runId) {
      return &run;
    }
  }
  return nullptr;
}

QString TextFeed::runName(qint64 runId) const {
  const RunRecord* run = runRecord(runId);
  return run ? runLabel(*run) : QString::number(runId);
}

void TextFeed::setRuns(const std::vector<RunRecord>& runs) {
  for (const RunRecord& run : runs) {
    // A resumed run's losses past its checkpoint were deleted (Store::truncate_metrics_after); its next
    // validation may store the same step and size again, so its set is read afresh.
    const RunRecord* previous = runRecord(run.id);
    if (previous && previous->status != RunStatus::Running && run.status == RunStatus::Running) {
      m_loaded.erase(run.id);
    }
  }
  m_runs.clear();
  QList<TextView::Candidate> candidates;
  for (const RunRecord& run : runs) {
    if (isTextRun(run)) {
      m_runs.push_back(run);
      candidates.append({run.id, runLabel(run), runColour(run.id, run.colour)});
    }
  }
  m_view->setCandidates(candidates);
  // Deleted runs leave the pickers.
  const qint64 a = runRecord(m_view->runA()) ? m_view->runA() : 0;
  const qint64 b = runRecord(m_view->runB()) ? m_view->runB() : 0;
  if (a != m_view->runA() || b != m_view->runB()) {
    m_view->setChosenRuns(a, b);
  }
  load(/*force=*/false);
}

void TextFeed::setSelectedRuns(const QList<qint64>& runIds) {
  m_selected.clear();
  for (const qint64 id : runIds) {
    if (runRecord(id)) {
      m_selected.append(id);
    }
  }
  // A selection without text runs (MQAR runs chosen for the other tabs) leaves the tab as it was.
  if (!m_selected.isEmpty()) {
    m_view->setChosenRuns(m_selected.front(), m_selected.size() > 1 ? m_selected[1] : 0);
  }
  load(/*force=*/false);
}

void TextFeed::onRunsChosen(qint64, qint64) {
  load(/*force=*/false);
}

void TextFeed::refresh() {
  m_loaded.clear();
  m_vocabularies.clear();
  load(/*force=*/true);
}

std::shared_ptr<const std::vector<std::string>> TextFeed::loadVocabulary(const std::string& shards,
                                                                         QString* note) {
  if (shards.empty()) {
    *note = TextView::tr("The run's losses name no shards folder: tokens are shown as ids.");
    return nullptr;
  }
  const std::filesystem::path path = std::filesystem::path(shards) / "tokenizer.json";
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    *note = TextView::tr(
                "%1 is missing: tokens are shown as ids (`zoolab-cli data tokenize` copies the "
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
    *note = TextView::tr("Tokens are shown as ids: %1").arg(QString::fromUtf8(failure.what()));
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

void TextFeed::load(bool force) {
  if (!force && !m_view->isVisible()) {
    m_stale = true;
    return;
  }
  m_stale = false;
  const qint64 a = m_view->runA();
  const qint64 b = m_view->runB();
  // A, B, then the other selected text runs: what the view tabulates.
  QList<qint64> wanted;
  for (const qint64 id : QList<qint64>{a, b} + m_selected) {
    if (id != 0 && !wanted.contains(id)) {
      wanted.append(id);
    }
  }
  if (wanted.isEmpty()) {
    m_loaded.clear();
    m_view->setRuns({});
    m_view->setStatus(m_runs.empty()
                          ? TextView::tr("This database has no text runs (\"data\": {\"task\": \"text\"}).")
                          : TextView::tr("Select a text run in the run table, or pick one here."));
    return;
  }
  Store* database = m_store.get();
  if (!database) {
    m_view->setStatus(TextView::tr("Cannot open the database: %1").arg(m_store.error()), true);
    return;
  }

  std::map<qint64, Loaded> loaded;
  std::vector<TextView::Run> runs;
  QString statusA;
  for (const qint64 id : wanted) {
    const RunRecord* record = runRecord(id);
    TextView::Run run;
    run.id = id;
    run.name = runName(id);
    run.colour = runColour(id, record ? record->colour : std::string());
    Loaded entry;
    const auto previous = m_loaded.find(id);
    try {
      // One small query a run and poll; the blob (~100 KB) only when a validation replaced it.
      const std::optional<std::pair<int64_t, int64_t>> version = database->token_losses_version(id);
      const bool unchanged = version && previous != m_loaded.end() && previous->second.losses &&
                             previous->second.version == *version;
      std::optional<std::string> blob;
      if (version && !unchanged) {
        blob = database->token_losses(id);
      }
      if (unchanged) {
        entry = std::move(previous->second);  // same set, so the view keeps its drawing
      } else if (!blob) {
        run.note = record && !is_terminal(record->status)
                       ? TextView::tr(
                             "Run %1 has no per-token losses yet: its trainer stores them at each "
                             "validation (train.eval_interval).")
                             .arg(run.name)
                       : TextView::tr(
                             "Run %1 stored no per-token losses (it ended before its first "
                             "validation, or is not a text run).")
                             .arg(run.name);
      } else {
        auto set = std::make_shared<TokenLossSet>(decode_token_losses(*blob));
        blob.reset();  // decoded: the bytes are not kept
        entry.analysis = analyze_token_losses(*set);
        entry.losses = std::move(set);
        entry.version = *version;
      }
    } catch (const std::exception& error) {
      run.note = TextView::tr("Run %1's per-token losses cannot be read: %2")
                     .arg(run.name, QString::fromUtf8(error.what()));
    }
    QString vocabularyNote;
    if (entry.losses) {
      run.losses = entry.losses;
      run.analysis = entry.analysis;
      run.vocabulary = vocabulary(entry.losses->shards, &vocabularyNote);
      run.note = vocabularyNote;
      loaded.emplace(id, std::move(entry));
    }
    if (id == a) {
      statusA = run.losses
                    ? TextView::tr(
                          "Run %1: losses of validation step %2 (epoch %3), %4 sequences of "
                          "%5 tokens, %6 AR hits among %7 predicted tokens.%8")
                          .arg(run.name)
                          .arg(run.losses->step)
                          .arg(run.losses->epoch)
                          .arg(run.losses->sequences)
                          .arg(run.losses->length)
                          .arg(run.analysis.ar_hits.tokens)
                          .arg(run.analysis.overall.tokens)
                          .arg(vocabularyNote.isEmpty() ? QString() : QLatin1Char(' ') + vocabularyNote)
                    : run.note;
    }
    runs.push_back(std::move(run));
  }
  m_loaded = std::move(loaded);
  m_view->setRuns(std::move(runs));
  m_view->setStatus(a != 0 ? statusA : TextView::tr("Pick run A."));
}

}  // namespace zoolab
