#pragma once

// Reads what the Inspector (views/inspector_view.h) shows of a run's query records: the run's recorded
// sets (Store::list_query_records) and the one chosen, decoded (engine/inspect/inspection.h); the run's test
// split regenerated from its configuration, so the Examples page can name the tokens; the Recall page's
// overlays (each other selected run's default set) and tracked history; and Compare's run B. It lives on
// the window's feed thread, like the other feeds (docs/architecture.md#data-path): decoding a set or
// regenerating a split never holds up the window.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <QList>
#include <QObject>
#include <QString>

#include "engine/data/tasks/mqar.h"
#include "engine/inspect/query_records.h"
#include "engine/inspect/recall_analysis.h"
#include "engine/store/records.h"

namespace zoolab {

class Store;

// What the Inspector asks for.
struct InspectorRequest {
  qint64 runId = 0;  // the inspected run (0: none)
  // The set wanted (step < 0: the default one, choose_record_set); an empty subset takes the one
  // choose_record_set picks for the step. A set that is not stored gives the default one.
  int64_t step = -1;
  std::string subset;
  QList<qint64> overlays;  // the other selected runs, drawn over the inspected one on the Recall page
  qint64 runB = 0;         // Compare's run B, when it was just chosen (0: not asked)
  bool force = false;      // the view shows the answer even when the sets did not change
  bool refresh = false;    // forget the decoded sets, splits and history first
};

// One run's default set, drawn over the inspected run on the Recall page.
struct InspectorOverlay {
  qint64 runId = 0;
  QueryRecordSetInfo set;
  std::shared_ptr<const QueryRecordSet> records;
};

// The answer to an InspectorRequest. Plain data: built on the feed's thread, read on the GUI's.
struct InspectorData {
  QString databasePath;  // the database read, so an answer about a database no longer shown is dropped
  InspectorRequest request;
  QString error;  // the database or the run's sets cannot be read: nothing else is filled
  // The runs named in the request as the database has them (the poller may not have listed them yet);
  // a run missing here is not in the database.
  std::map<qint64, RunRecord> runs;
  std::vector<QueryRecordSetInfo> sets;           // every recorded set of the inspected run
  std::optional<QueryRecordSetInfo> set;          // the one shown (none: the run recorded none)
  bool pinned = false;                            // `set` is not the default one
  std::shared_ptr<const QueryRecordSet> records;  // `set`'s records, or null and why not
  QString recordsError;
  std::shared_ptr<const std::vector<TokenSegment>> split;  // or null and why not
  QString splitNote;
  std::vector<InspectorOverlay> overlays;     // the overlaid runs that have records, in request order
  std::shared_ptr<const GapHistory> history;  // the tracked sets' gap history, or null and why not
  QString historyError;
  std::shared_ptr<const QueryRecordSet> runBRecords;  // when request.runB: its set, or why none
  QString runBError;
};

class InspectorFeed : public QObject {
  Q_OBJECT

 public:
  // Does not touch the file yet: the first load() opens it.
  explicit InspectorFeed(const QString& databasePath, QObject* parent = nullptr);
  ~InspectorFeed() override;

  // Reads what `request` asks for and answers loaded. Runs on the thread the feed lives on: connect a
  // request signal to it.
  void load(const zoolab::InspectorRequest& request);

  Q_SIGNAL void loaded(std::shared_ptr<const zoolab::InspectorData> data);

 private:
  using RecordSetKey = std::tuple<qint64, int64_t, std::string>;

  void read(const InspectorRequest& request, InspectorData& data);
  void readRunB(const InspectorRequest& request, InspectorData& data);
  // The run as stored (and remembered in `data.runs`), or nullopt when there is none.
  std::optional<RunRecord> findRun(qint64 runId, InspectorData& data);
  std::shared_ptr<const QueryRecordSet> recordSet(qint64 runId, const QueryRecordSetInfo& info);

  QString m_path;
  std::unique_ptr<Store> m_store;
  // Decoded sets, a few (the inspected one, overlays, run B); cleared when it grows past a handful.
  std::map<RecordSetKey, std::shared_ptr<const QueryRecordSet>> m_sets;
  // Regenerated test splits per run, or why not.
  std::map<qint64, std::pair<std::shared_ptr<const std::vector<TokenSegment>>, QString>> m_splits;
  // The last gap history read, and the run and tracked steps it was read from.
  std::pair<qint64, std::vector<int64_t>> m_historyKey;
  std::shared_ptr<const GapHistory> m_history;
};

}  // namespace zoolab
