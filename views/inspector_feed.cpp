#include "views/inspector_feed.h"

#include <exception>

#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"
#include "engine/inspect/inspection.h"
#include "engine/store/store.h"

namespace zoolab {

namespace {

// Decoded sets the Inspector feed keeps at once: the inspected one, a few overlays and run B.
constexpr size_t kInspectorFeedCachedSets = 8;

}  // namespace

InspectorFeed::InspectorFeed(const QString& databasePath, QObject* parent)
    : QObject(parent), m_path(databasePath) {}

InspectorFeed::~InspectorFeed() = default;

void InspectorFeed::load(const InspectorRequest& request) {
  auto data = std::make_shared<InspectorData>();
  data->databasePath = m_path;
  data->request = request;
  if (request.refresh) {
    m_sets.clear();
    m_splits.clear();
    m_history.reset();
  }
  if (request.runId != 0) {
    try {
      if (!m_store) {
        m_store = std::make_unique<Store>(m_path.toStdString());
      }
    } catch (const std::exception& error) {
      // The next load opens it afresh.
      data->error = tr("Cannot open the database: %1").arg(QString::fromUtf8(error.what()));
    }
    if (m_store) {
      try {
        read(request, *data);
      } catch (const std::exception& error) {
        data->error = QString::fromUtf8(error.what());
      }
    }
  }
  Q_EMIT loaded(std::move(data));
}

std::optional<RunRecord> InspectorFeed::findRun(qint64 runId, InspectorData& data) {
  auto run = m_store->find_run(runId);
  if (run) {
    data.runs[runId] = *run;
  }
  return run;
}

void InspectorFeed::read(const InspectorRequest& request, InspectorData& data) {
  const auto run = findRun(request.runId, data);
  if (!run) {
    return;
  }
  data.sets = m_store->list_query_records(request.runId);
  const auto latest = choose_record_set(data.sets);
  if (request.step >= 0) {
    if (request.subset.empty()) {
      data.set = choose_record_set(data.sets, request.step);
    } else {
      for (const auto& info : data.sets) {
        if (info.step == request.step && info.subset == request.subset) {
          data.set = info;
        }
      }
    }
  }
  if (!data.set) {
    data.set = latest;
  }
  // The default set is the one that follows new evaluations; any other stays put.
  data.pinned = data.set && !(latest && latest->step == data.set->step && latest->subset == data.set->subset);
  if (!data.set) {
    readRunB(request, data);
    return;
  }
  try {
    data.records = recordSet(request.runId, *data.set);
  } catch (const std::exception& error) {
    data.recordsError = QString::fromUtf8(error.what());
    readRunB(request, data);
    return;
  }

  auto cachedSplit = m_splits.find(request.runId);
  if (cachedSplit == m_splits.end()) {
    std::shared_ptr<const std::vector<TokenSegment>> split;
    QString why;
    try {
      const RunConfig config = parse_run_config(nlohmann::json::parse(run->config_json));
      split = std::make_shared<const std::vector<TokenSegment>>(regenerate_test_split(config));
    } catch (const std::exception& error) {
      why = tr("The test split could not be regenerated from the run's configuration (%1): only what the "
               "records say is shown.")
                .arg(QString::fromUtf8(error.what()));
    }
    cachedSplit = m_splits.emplace(request.runId, std::make_pair(split, why)).first;
  }
  data.split = cachedSplit->second.first;
  data.splitNote = cachedSplit->second.second;

  // Each other selected run's default set (what `zoolab-cli inspect` shows).
  for (const qint64 id : request.overlays) {
    if (id == request.runId) {
      continue;
    }
    try {
      findRun(id, data);
      if (const auto chosen = choose_record_set(m_store->list_query_records(id))) {
        data.overlays.push_back({id, *chosen, recordSet(id, *chosen)});
      }
    } catch (const std::exception&) {
      // An overlay that cannot be read is left out; the inspected run's errors are reported.
    }
  }

  std::pair<qint64, std::vector<int64_t>> tracked{request.runId, {}};
  for (const auto& info : data.sets) {
    if (info.subset == "tracked") {
      tracked.second.push_back(info.step);
    }
  }
  if (!m_history || tracked != m_historyKey) {
    m_history.reset();
    try {
      m_history =
          std::make_shared<const GapHistory>(gap_history(load_tracked_history(*m_store, request.runId)));
      m_historyKey = tracked;
    } catch (const std::exception& error) {
      data.historyError = QString::fromUtf8(error.what());
    }
  }
  data.history = m_history;
  readRunB(request, data);
}

void InspectorFeed::readRunB(const InspectorRequest& request, InspectorData& data) {
  if (request.runB == 0) {
    return;
  }
  if (!data.set || !data.records) {
    data.runBError = tr("Run A has no records.");
    return;
  }
  try {
    const auto run = findRun(request.runB, data);
    // B's set of A's subset at A's step when it has one (runs of one configuration evaluate at the same
    // steps), else its latest: the set `zoolab-cli inspect A --vs B` compares with.
    std::optional<QueryRecordSetInfo> chosen;
    for (const auto& info : m_store->list_query_records(request.runB)) {
      if (info.subset != data.set->subset) {
        continue;
      }
      const bool sameStep = chosen && chosen->step == data.set->step;
      if (!chosen || (!sameStep && (info.step == data.set->step || info.step > chosen->step))) {
        chosen = info;
      }
    }
    if (!chosen) {
      const QString name =
          run ? QStringLiteral("%1 · %2").arg(request.runB).arg(QString::fromStdString(run->name))
              : QString::number(request.runB);
      data.runBError = tr("Run %1 has no \"%2\" query records to compare with.")
                           .arg(name, QString::fromStdString(data.set->subset));
      return;
    }
    data.runBRecords = recordSet(request.runB, *chosen);
  } catch (const std::exception& error) {
    data.runBError = QString::fromUtf8(error.what());
  }
}

std::shared_ptr<const QueryRecordSet> InspectorFeed::recordSet(qint64 runId, const QueryRecordSetInfo& info) {
  const RecordSetKey key{runId, info.step, info.subset};
  const auto it = m_sets.find(key);
  if (it != m_sets.end()) {
    return it->second;
  }
  auto set = std::make_shared<const QueryRecordSet>(load_record_set(*m_store, runId, info.step, info.subset));
  if (m_sets.size() >= kInspectorFeedCachedSets) {
    m_sets.clear();
  }
  m_sets.emplace(key, set);
  return set;
}

}  // namespace zoolab
