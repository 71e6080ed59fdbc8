#pragma once

// The Inspector tab: which test queries a run fails to recall, and why. A run picker (it follows the
// run table's selection unless told not to) and a picker of the evaluations that recorded queries
// (Store::list_query_records; by default the set `zoolab-cli inspect RUN` shows, choose_record_set) above
// pages: Examples (ExampleBrowser), Recall (RecallAnalysisView: the inspected run, with the other selected
// runs overlaid), Compare (CompareView: against another run, its counts linking into Examples), and the pages
// others add with addPage (Patterns, Probe).
//
// It reads the database itself through the engine's plain API (engine/inspect/inspection.h), on the GUI
// thread: a record set is one small blob (37 bytes a query), decoded sets are cached. It is the last view
// to do so: the others, its Patterns page among them, read through feeds on the window's feed thread
// (docs/architecture.md#data-path). It rereads when the runs change (the window forwards its poller's
// runs) and only while visible; a hidden tab catches up when shown.

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

#include "engine/data/mqar.h"
#include "engine/inspect/query_records.h"
#include "engine/store/records.h"
#include "views/lazy_store.h"
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
class Store;
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
  const QString& databasePath() const { return m_store.path(); }

  // The runs of the database (the window's poller): the run picker lists them, and the inspected run's
  // records are reread when they changed.
  void setRuns(const std::vector<RunRecord>& runs);
  // The run table's selection: the inspector follows its first run (while following), and the Recall page
  // overlays the others.
  void setSelectedRuns(const QList<qint64>& runIds);
  bool followsSelection() const;
  void setFollowsSelection(bool follow);

  // Inspects `runId` (0: none); false when the database has no such run.
  bool setCurrentRun(qint64 runId);
  qint64 currentRun() const { return m_runId; }
  // Shows the records of evaluation `step` (and `subset`, "all" or "tracked"; empty: the one
  // choose_record_set picks for the step); false when the run has none.
  bool setCurrentStep(int64_t step, const QString& subset = {});
  // The record set shown, and its records (null when none).
  const std::optional<QueryRecordSetInfo>& currentSet() const { return m_set; }
  std::shared_ptr<const QueryRecordSet> currentRecords() const { return m_records; }
  std::shared_ptr<const std::vector<TokenSegment>> currentSplit() const { return m_split; }
  // Every recorded set of the inspected run (Store::list_query_records).
  const std::vector<QueryRecordSetInfo>& recordedSets() const { return m_sets; }

  // Rereads the database now (visible or not).
  void refresh();

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

 protected:
  void showEvent(QShowEvent* event) override;

 private:
  using SetKey = std::tuple<qint64, int64_t, std::string>;

  // Rereads the inspected run's sets and shows the chosen one; `force` also when nothing changed.
  void load(bool force);
  void showSet();
  void updateRecall();
  void rebuildRunCombo();
  void rebuildStepCombo();
  void updateCandidates();  // Compare's run B: every run but the inspected one
  void onRunBChosen(qint64 runId);
  void setStatus(const QString& text, bool error = false);
  // The database, opened on first use; nullptr when it cannot be opened (statusLabel says why).
  Store* store();
  std::optional<RunRecord> runRecord(qint64 runId);
  QString runName(qint64 runId);
  std::shared_ptr<const QueryRecordSet> recordSet(qint64 runId, const QueryRecordSetInfo& info);
  // The run's test split regenerated from its configuration (cached per run), or null and why not.
  std::shared_ptr<const std::vector<TokenSegment>> splitOf(qint64 runId, QString* note);

  LazyStore m_store;
  std::vector<RunRecord> m_runs;
  QList<qint64> m_selected;
  qint64 m_runId = 0;
  std::vector<QueryRecordSetInfo> m_sets;
  std::optional<QueryRecordSetInfo> m_set;
  bool m_stepPinned = false;  // the user chose the set: keep it when new evaluations arrive
  std::shared_ptr<const QueryRecordSet> m_records;
  std::shared_ptr<const std::vector<TokenSegment>> m_split;
  QString m_splitNote;
  bool m_stale = true;  // the database changed while the view was hidden
  // Decoded sets, a few (the inspected one, overlays, run B); cleared when it grows past kCacheSize.
  std::map<SetKey, std::shared_ptr<const QueryRecordSet>> m_cache;
  std::map<qint64, std::pair<std::shared_ptr<const std::vector<TokenSegment>>, QString>> m_splits;
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
