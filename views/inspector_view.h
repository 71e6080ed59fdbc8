#pragma once

// The Inspector tab: which test queries a run fails to recall, and why. A run picker (it follows the
// run table's selection unless told not to) and a picker of the evaluations that recorded queries
// (Store::list_query_records; by default the set `zoolab-cli inspect RUN` shows, choose_record_set) above
// pages: Examples (ExampleBrowser), Recall (RecallAnalysisView: the inspected run, with the other selected
// runs overlaid), Compare (CompareView: against another run, its counts linking into Examples), and the pages
// others add with addPage (Patterns, Probe).
//
// It reads no database itself: it asks its InspectorFeed (views/inspector_feed.h, on the window's feed
// thread) for the inspected run's sets, the chosen one's records and test split, the overlays, the
// tracked history and Compare's run B (loadRequested, one request at a time), and draws the answer
// (setData; an answer about another database or run is dropped). It asks again when the runs change (the
// window forwards its poller's runs) and only while visible; a hidden tab catches up when shown.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <QList>
#include <QString>
#include <QWidget>

#include "engine/data/tasks/mqar.h"
#include "engine/inspect/query_records.h"
#include "engine/store/records.h"
#include "views/inspector_feed.h"
#include "views/status_line.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QPushButton;
class QShowEvent;
class QTabWidget;

namespace zoolab {

class CompareView;
class ExampleBrowser;
class RecallAnalysisView;
struct FigureStyle;

class InspectorView : public QWidget {
  Q_OBJECT

 public:
  // Child widgets carry these object names: "runCombo", "followCheck", "stepCombo", "refreshButton",
  // "statusLabel", "inspectorPages", "exampleBrowser", "recallView", "compareView".
  explicit InspectorView(QWidget* parent = nullptr);
  ~InspectorView() override;

  // Inspects the runs of another database (nothing is read until a run is chosen and the view is shown).
  void setDatabasePath(const QString& path);
  const QString& databasePath() const { return m_databasePath; }

  // The runs of the database (the window's poller): the run picker lists them, and the inspected run's
  // records are reread when they changed.
  void setRuns(const std::vector<RunRecord>& runs);
  // The run table's selection: the inspector follows its first run (while following), and the Recall page
  // overlays the others.
  void setSelectedRuns(const QList<qint64>& runIds);
  bool followsSelection() const;
  void setFollowsSelection(bool follow);

  // Inspects `runId` (0: none); false for a negative id. The feed's answer shows its records; a run that
  // is not in the database is then dropped (the status line says so).
  bool setCurrentRun(qint64 runId);
  qint64 currentRun() const { return m_runId; }
  // Shows the records of evaluation `step` (and `subset`, "all" or "tracked"; empty: the one
  // choose_record_set picks for the step); false when the run's sets are known and hold no such set. The
  // feed's answer shows it.
  bool setCurrentStep(int64_t step, const QString& subset = {});
  // The record set shown, and its records (null when none).
  const std::optional<QueryRecordSetInfo>& currentSet() const { return m_set; }
  std::shared_ptr<const QueryRecordSet> currentRecords() const { return m_records; }
  std::shared_ptr<const std::vector<TokenSegment>> currentSplit() const { return m_split; }
  // Every recorded set of the inspected run (Store::list_query_records).
  const std::vector<QueryRecordSetInfo>& recordedSets() const { return m_sets; }

  // Rereads the database now (visible or not), forgetting what the feed decoded.
  void refresh();
  // Whether a request to the feed is unanswered (what the tests wait for).
  bool isLoading() const { return m_loading; }
  // The feed's answer to loadRequested; an answer about another database or run is dropped.
  void setData(std::shared_ptr<const zoolab::InspectorData> data);

  // Adds a page after Examples, Recall and Compare (the window's Patterns and Probe pages).
  void addPage(QWidget* page, const QString& title);
  QTabWidget* pages() const { return m_pages; }
  ExampleBrowser* exampleBrowser() const { return m_browser; }
  RecallAnalysisView* recallView() const { return m_recall; }
  CompareView* compareView() const { return m_compare; }
  QComboBox* runCombo() const { return m_runCombo; }
  QComboBox* stepCombo() const { return m_stepCombo; }
  QCheckBox* followCheck() const { return m_followCheck; }
  StatusLine* statusLabel() const { return m_status; }
  void setFigureStyle(const FigureStyle& style);

  // The inspected run changed (0: none).
  Q_SIGNAL void currentRunChanged(qint64 runId);
  // Another record set is shown (another run, evaluation or subset).
  Q_SIGNAL void currentStepChanged(qint64 runId, qint64 step, const QString& subset);
  // The example browser moved to another example (-1: none).
  Q_SIGNAL void currentExampleChanged(qint64 example);
  Q_SIGNAL void databasePathChanged(const QString& path);
  // Asks the feed for the inspected run's records (answered by setData).
  Q_SIGNAL void loadRequested(const zoolab::InspectorRequest& request);

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  using SetKey = std::tuple<qint64, int64_t, std::string>;

  // Asks the feed for the inspected run's sets and the chosen one (`force`: show the answer even when
  // the sets did not change); only while visible, one request at a time.
  void load(bool force, bool evenHidden = false);
  void showSet(const InspectorData& data);
  void updateRecall(const InspectorData& data);
  void rebuildRunCombo();
  void rebuildStepCombo();
  void updateCandidates();  // Compare's run B: every run but the inspected one
  void onRunBChosen(qint64 runId);
  void setStatus(const QString& text, bool error = false);
  std::optional<RunRecord> runRecord(qint64 runId) const;
  QString runName(qint64 runId) const;

  QString m_databasePath;
  std::vector<RunRecord> m_runs;
  std::map<qint64, RunRecord> m_answeredRuns;  // runs the feed found that the poller has not listed
  QList<qint64> m_selected;
  qint64 m_runId = 0;
  std::vector<QueryRecordSetInfo> m_sets;
  std::optional<QueryRecordSetInfo> m_set;
  bool m_stepPinned = false;  // the user chose the set: keep it when new evaluations arrive
  std::shared_ptr<const QueryRecordSet> m_records;
  std::shared_ptr<const std::vector<TokenSegment>> m_split;
  bool m_stale = true;     // the database changed while the view was hidden
  bool m_loading = false;  // a request is unanswered
  bool m_pending = false;  // ask again when it is answered
  bool m_force = false;    // the next request shows its answer even when the sets did not change
  bool m_refresh = false;  // the next request makes the feed forget what it decoded
  qint64 m_runB = 0;       // Compare's run B, to ask for with the next request
  // What the Recall page was last drawn from: (run, step, subset) per drawn run, and the heatmap's sets.
  std::vector<SetKey> m_recallDrawn;
  std::vector<SetKey> m_historyDrawn;

  QComboBox* m_runCombo = nullptr;
  QCheckBox* m_followCheck = nullptr;
  QComboBox* m_stepCombo = nullptr;
  QPushButton* m_refreshButton = nullptr;
  StatusLine* m_status = nullptr;
  QTabWidget* m_pages = nullptr;
  ExampleBrowser* m_browser = nullptr;
  RecallAnalysisView* m_recall = nullptr;
  CompareView* m_compare = nullptr;
};

}  // namespace zoolab
