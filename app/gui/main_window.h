#pragma once

// The workbench window. It only wires things together: the run explorer (left), and the curves, run
// details, configuration editor, dashboards, recall inspector and text runs (tabs on the right), the
// database poller and metric feed, the run actions and the worker launcher. Drawing lives in views/,
// database writes in RunActions.

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include <QList>
#include <QMainWindow>
#include <QString>
#include <QThread>

#include <nlohmann/json.hpp>

#include "engine/store/records.h"

class QLabel;
class QSplitter;
class QTabWidget;

namespace zoolab {

class ConfigEditor;
class CurvePlot;
class DashboardFeed;
class DashboardView;
class DatabasePoller;
class InspectorFeed;
class InspectorView;
class PatternFeed;
class PatternView;
class ProbeRunner;
class ProbeView;
class MetricFeed;
class RunActions;
class RunDetailsView;
class RunTableModel;
class RunTableView;
class Settings;
class Store;
class TextFeed;
class TextView;
class WindowFeed;
struct WindowData;

class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  enum Tab { CurvesTab, DetailsTab, ConfigureTab, DashboardsTab, InspectorTab, TextTab };

  // Restores the window geometry, splitter and table layout from `settings`, which must outlive the
  // window. It opens on the Details tab: the first poll selects the newest run (or, in a database
  // without runs, the details show how to start one).
  explicit MainWindow(Settings& settings, QWidget* parent = nullptr);
  ~MainWindow() override;

  // Shows the runs of the database at `path` (created if missing), replacing the one shown before.
  void openDatabase(const QString& path);
  const QString& databasePath() const { return m_databasePath; }
  // Reads the database now (instead of at the next tick).
  void pollNow();
  // Selects a run by id or name; false when there is none.
  bool selectRun(const QString& idOrName);
  // Whether the window has read the database it shows: its runs (the first poll, or the poll's error)
  // and the worker serving it (the status bar). ready() is emitted once per openDatabase when it
  // becomes true: what a screenshot or a --select waits for.
  bool isReady() const { return m_readyEmitted; }
  Q_SIGNAL void ready();
  // Whether queued runs make the window start a background worker (off for screenshots and some tests).
  void setWorkerAutostart(bool enabled) { m_workerAutostart = enabled; }

  RunTableModel* runModel() const { return m_runModel; }
  RunTableView* runView() const { return m_runView; }
  CurvePlot* curvePlot() const { return m_curves; }
  RunDetailsView* detailsView() const { return m_details; }
  ConfigEditor* configEditor() const { return m_editor; }
  DashboardView* dashboardView() const { return m_dashboards; }
  InspectorView* inspectorView() const { return m_inspector; }
  PatternView* patternView() const { return m_patterns; }
  ProbeView* probeView() const { return m_probe; }
  TextView* textView() const { return m_text; }
  ProbeRunner* probeRunner() const { return m_probeRunner; }
  RunActions* runActions() const { return m_actions; }
  QTabWidget* tabs() const { return m_tabs; }
  QSplitter* splitter() const { return m_splitter; }
  // What the status bar says of the worker ("worker pid 123 · 2 slots", "no worker", or a failure).
  QString workerStatus() const;
  // The window feed's answer (the shown run's latest checkpoint, the live worker); an answer about
  // another database is dropped.
  void setWindowData(std::shared_ptr<const zoolab::WindowData> data);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void createMenus();
  void chooseDatabase();
  void showAbout();
  void showPreferences();
  void onRunsChanged(const std::vector<RunRecord>& runs,
                     const std::vector<std::vector<MetricSummary>>& summaries);
  void onDatabaseError(const QString& message);
  void onSelectionChanged(const QList<qint64>& runIds);
  void onRunActivated(qint64 runId);
  // A dashboard's point, line or brush, or a curves legend entry: its runs selected in the explorer.
  void selectFigureRuns(const QList<qint64>& runIds);
  void duplicateRun(qint64 runId);
  void launch(const std::vector<nlohmann::json>& configs);
  void launchSweep(const nlohmann::json& spec);
  // After runs were queued: say so, show them, select the last one and follow it on the Curves tab.
  void showQueued(const QList<qint64>& ids);
  // Starts a worker when runs are queued and none is alive (at most every few seconds).
  void ensureWorker(bool force);
  // Shows the selected run's details (with its latest checkpoint as last read) and asks the window's
  // feed for its checkpoint and the live worker again.
  void refreshDetails();
  void showDetails();
  void updateStatus();
  // On the first poll of a database: the newest run selected, unless a selection exists or is pending.
  void selectInitialRun();
  void emitReadyOnce();

  Settings& m_settings;
  RunTableModel* m_runModel = nullptr;
  RunTableView* m_runView = nullptr;
  QSplitter* m_splitter = nullptr;
  QTabWidget* m_tabs = nullptr;
  CurvePlot* m_curves = nullptr;
  RunDetailsView* m_details = nullptr;
  ConfigEditor* m_editor = nullptr;
  DashboardView* m_dashboards = nullptr;
  InspectorView* m_inspector = nullptr;
  PatternView* m_patterns = nullptr;  // the inspector's pages
  ProbeView* m_probe = nullptr;
  ProbeRunner* m_probeRunner = nullptr;
  TextView* m_text = nullptr;
  RunActions* m_actions = nullptr;
  DatabasePoller* m_poller = nullptr;  // lives on m_feedThread
  MetricFeed* m_feed = nullptr;        // lives on m_feedThread
  // Counts openDatabase calls: the poller's and metric feed's answers sent before the last one are dropped.
  quint64 m_databaseGeneration = 0;
  qint64 m_pendingSelection = 0;  // a run just queued, selected when a poll lists it (showQueued)
  // The feeds' thread: feeds read the database there and hand the views plain structs through queued
  // signals, so no view reads the database on this thread (docs/architecture.md#data-path).
  QThread m_feedThread;
  DashboardFeed* m_dashboardFeed = nullptr;  // lives on m_feedThread
  TextFeed* m_textFeed = nullptr;            // lives on m_feedThread
  PatternFeed* m_patternFeed = nullptr;      // lives on m_feedThread
  InspectorFeed* m_inspectorFeed = nullptr;  // lives on m_feedThread
  WindowFeed* m_windowFeed = nullptr;        // lives on m_feedThread
  // The window feed's last answer: the latest checkpoint of run m_checkpointRun, and the live worker.
  qint64 m_checkpointRun = 0;
  std::optional<CheckpointRecord> m_checkpoint;
  std::optional<WorkerRecord> m_liveWorker;
  // Starting a worker reads whether one is alive and starts the process at once, on this thread
  // (WorkerLauncher::ensureWorker, at most every few seconds): it keeps its own connection.
  std::unique_ptr<Store> m_workerStore;
  QLabel* m_databaseLabel = nullptr;
  QLabel* m_workerLabel = nullptr;
  QLabel* m_countLabel = nullptr;
  QString m_databasePath;
  QString m_databaseError;  // shown instead of the run count until a poll succeeds again
  QString m_workerError;
  bool m_loaded = false;                // a poll has succeeded since the database was opened
  bool m_windowAnswered = false;        // the window feed has answered (the live worker is known)
  bool m_readyEmitted = false;          // ready() was emitted for this database
  bool m_initialSelectionDone = false;  // the first poll's selection was made
  bool m_workerAutostart = true;
  qint64 m_lastWorkerCheckMs = 0;
  qint64 m_workerStartedMs = 0;  // when this window last started a worker
  // The last poll, by run id: summaries for the details, statuses to notice resumed runs.
  std::map<qint64, std::pair<RunRecord, std::vector<MetricSummary>>> m_runs;
};

}  // namespace zoolab
