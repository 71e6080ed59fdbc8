#include "app/gui/main_window.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QItemSelection>
#include <QItemSelectionModel>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>

#include "app/gui/engine_bridge.h"
#include "app/gui/launch_cost_estimator.h"
#include "app/gui/probe_runner.h"
#include "app/gui/run_actions.h"
#include "app/gui/settings.h"
#include "app/gui/settings_dialog.h"
#include "app/gui/worker_launcher.h"
#include "engine/analysis/seed_group.h"
#include "engine/store/store.h"
#include "views/config_editor.h"
#include "views/curve_plot.h"
#include "views/dashboard_feed.h"
#include "views/dashboard_view.h"
#include "views/database_poller.h"
#include "views/inspector_feed.h"
#include "views/inspector_view.h"
#include "views/launch_cost_view.h"
#include "views/metric_feed.h"
#include "views/pattern_feed.h"
#include "views/pattern_view.h"
#include "views/probe_view.h"
#include "views/run_colours.h"
#include "views/run_details_view.h"
#include "views/run_filter_proxy_model.h"
#include "views/run_table_model.h"
#include "views/run_table_view.h"
#include "views/text_feed.h"
#include "views/text_view.h"
#include "views/window_feed.h"

namespace zoolab {

namespace {

// The preset a newcomer should try first (resources/presets/mqar-quick.json).
constexpr char kFirstRunCommand[] = "zoolab-cli enqueue --preset mqar-quick";
// A worker that died is replaced at most this often, so a worker that cannot start is not retried per poll.
constexpr qint64 kWorkerCheckIntervalMs = 5000;
constexpr qint64 kWorkerStartGraceMs = 10000;

// Quotes a path for a POSIX shell when it needs it, so the command in the status bar can be pasted.
QString shellQuoted(const QString& text) {
  static const QString kSafe = QStringLiteral("+-./:=@_");
  for (const QChar c : text) {
    if (!c.isLetterOrNumber() && !kSafe.contains(c)) {
      QString quoted = text;
      quoted.replace(QLatin1Char('\''), QLatin1String("'\\''"));
      return QLatin1Char('\'') + quoted + QLatin1Char('\'');
    }
  }
  return text;
}

// Whether `path` names the database the CLI uses without --db.
bool isDefaultDatabase(const QString& path) {
  try {
    return QFileInfo(path).absoluteFilePath() ==
           QFileInfo(QString::fromStdString(default_database_path())).absoluteFilePath();
  } catch (const std::exception&) {
    return false;
  }
}

// The command that queues a first run into the database at `path` (--db unless it is the default one).
QString firstRunCommand(const QString& path) {
  QString command = QLatin1String(kFirstRunCommand);
  if (!isDefaultDatabase(path)) {
    command += QStringLiteral(" --db ") + shellQuoted(path);
  }
  return command;
}

}  // namespace

MainWindow::MainWindow(Settings& settings, QWidget* parent)
    : QMainWindow(parent),
      m_settings(settings),
      m_runModel(new RunTableModel(this)),
      m_runView(new RunTableView(m_runModel, this)),
      m_splitter(new QSplitter(Qt::Horizontal, this)),
      m_tabs(new QTabWidget(this)),
      m_curves(new CurvePlot(this)),
      m_details(new RunDetailsView(this)),
      m_editor(new ConfigEditor(this)),
      m_dashboards(new DashboardView(this)),
      m_inspector(new InspectorView(this)),
      m_patterns(new PatternView(this)),
      m_probe(new ProbeView(this)),
      m_probeRunner(new ProbeRunner(this)),
      m_text(new TextView(this)),
      m_actions(new RunActions(this, this)),
      m_databaseLabel(new QLabel(this)),
      m_workerLabel(new QLabel(this)),
      m_countLabel(new QLabel(this)) {
  // A little air between the window frame and the filter line and table.
  m_runView->setContentsMargins(6, 6, 0, 0);
  m_tabs->addTab(m_curves, tr("&Curves"));
  m_tabs->addTab(m_details, tr("&Details"));
  m_tabs->addTab(m_editor, tr("Co&nfigure"));
  m_tabs->addTab(m_dashboards, tr("Dash&boards"));
  m_tabs->addTab(m_inspector, tr("&Inspector"));
  m_tabs->addTab(m_text, tr("&Text"));
  // The inspector's Patterns and Probe pages follow its database and run; the probe's model runs on the
  // ProbeRunner's thread (views cannot see the engine's training side).
  m_inspector->addPage(m_patterns, tr("Patterns"));
  m_inspector->addPage(m_probe, tr("Probe"));
  m_probeRunner->attach(m_probe);
  connect(m_inspector, &InspectorView::databasePathChanged, this, [this](const QString& path) {
    m_patterns->setDatabasePath(path);
    m_probeRunner->setDatabasePath(path);
  });
  connect(m_inspector, &InspectorView::currentRunChanged, m_patterns, &PatternView::setRun);
  connect(m_inspector, &InspectorView::currentRunChanged, m_probe, &ProbeView::setRun);
  connect(m_inspector, &InspectorView::currentStepChanged, m_patterns,
          [this](qint64, qint64 step, const QString&) { m_patterns->followStep(step); });
  connect(m_inspector, &InspectorView::currentExampleChanged, m_patterns,
          [this](qint64 example) { m_patterns->setExample(example); });
  m_tabs->setDocumentMode(true);
  m_splitter->addWidget(m_runView);
  m_splitter->addWidget(m_tabs);
  m_splitter->setStretchFactor(0, 2);
  m_splitter->setStretchFactor(1, 3);
  m_splitter->setChildrenCollapsible(false);
  setCentralWidget(m_splitter);

  // The editor checks with the engine itself, so a value is refused here for the reason the trainer would.
  m_editor->setMixerSpecs(mixerRegistryJson());
  m_editor->setPresets(presetConfigs());
  m_editor->setValidator([](const nlohmann::json& config) { return validateConfig(config); });
  connect(m_editor, &ConfigEditor::launchRequested, this,
          [this](const nlohmann::json& config) { launch({config}); });
  connect(m_editor, &ConfigEditor::sweepRequested, this, &MainWindow::launchSweep);
  // What a launch costs (parameters, state, time per epoch), estimated off the GUI thread while the
  // Configure tab is shown, again after each change.
  {
    auto* costView = new LaunchCostView();
    m_editor->setLaunchInfo(costView);
    auto* estimator = new LaunchCostEstimator(WorkerLauncher::findCli(), this);
    estimator->setObjectName(QStringLiteral("launchCostEstimator"));
    // Timed with the threads one training process of the worker gets (it divides the cores among its
    // slots unless told a number).
    estimator->setBenchThreads([this] {
      const int threads = m_settings.workerThreads();
      return threads > 0 ? threads
                         : std::max(1, QThread::idealThreadCount() / std::max(1, m_settings.workerSlots()));
    });
    connect(estimator, &LaunchCostEstimator::costChanged, costView, &LaunchCostView::setCost);
    connect(m_editor, &ConfigEditor::configChanged, estimator,
            [this, estimator] { estimator->setConfig(m_editor->config()); });
    connect(m_tabs, &QTabWidget::currentChanged, estimator,
            [this, estimator] { estimator->setActive(m_tabs->currentWidget() == m_editor); });
    estimator->setActive(m_tabs->currentWidget() == m_editor);
    estimator->setConfig(m_editor->config());
  }

  connect(m_runView, &RunTableView::runActivated, this, &MainWindow::onRunActivated);
  // A dashboard's point or line, or a legend entry of the curves (a run or a seed group), names runs:
  // select them in the explorer.
  connect(m_dashboards, &DashboardView::runsClicked, this, &MainWindow::selectFigureRuns);
  connect(m_dashboards, &DashboardView::runActivated, this, [this](qint64 runId) {
    if (m_runView->selectRun(runId)) {
      onRunActivated(runId);
    } else {
      statusBar()->showMessage(tr("Run %1 is hidden by the run filter").arg(runId), 5000);
    }
  });
  connect(m_runView, &RunTableView::selectedRunsChanged, this, &MainWindow::onSelectionChanged);
  connect(m_runView, &RunTableView::contextMenuRequested, m_actions, &RunActions::showContextMenu);
  connect(m_curves, &CurvePlot::legendClicked, this, &MainWindow::selectFigureRuns);
  connect(m_details, &RunDetailsView::cancelRequested, m_actions, &RunActions::cancel);
  connect(m_details, &RunDetailsView::resumeRequested, m_actions, &RunActions::resume);
  connect(m_details, &RunDetailsView::duplicateRequested, this, &MainWindow::duplicateRun);
  connect(m_details, &RunDetailsView::deleteRequested, this,
          [this](qint64 runId) { m_actions->remove({runId}); });
  connect(m_actions, &RunActions::duplicateRequested, this, &MainWindow::duplicateRun);
  connect(m_actions, &RunActions::databaseChanged, this, &MainWindow::pollNow);
  connect(m_actions, &RunActions::runsQueued, this, [this] { ensureWorker(/*force=*/true); });

  // Selectable, so the command to start a first run can be copied from the status bar.
  m_databaseLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
  m_databaseLabel->setMinimumWidth(0);
  m_databaseLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
  statusBar()->addWidget(m_databaseLabel, 1);
  statusBar()->addPermanentWidget(m_workerLabel);
  statusBar()->addPermanentWidget(m_countLabel);

  createMenus();

  if (!restoreGeometry(m_settings.mainWindowGeometry())) {
    resize(1400, 800);
  }
  restoreState(m_settings.mainWindowState());
  if (!m_splitter->restoreState(m_settings.mainSplitterState())) {
    m_splitter->setSizes({560, 840});
  }
  m_dashboards->setFigureStyle(m_settings.figureStyle());
  m_dashboards->setErrorBars(m_settings.dashboardErrorBars());
  m_curves->setFigureStyle(m_settings.figureStyle());
  m_curves->setSmoothingChoices(m_settings.curveSmoothing());
  m_inspector->setFigureStyle(m_settings.figureStyle());
  // The run in full first (the first poll selects the newest run), whatever tab was shown last time.
  m_tabs->setCurrentWidget(m_details);
  m_runModel->setAddedColumns(m_settings.runTableColumns());  // first: the header state counts them
  m_runView->restoreHeaderState(m_settings.runTableHeaderState());

  m_feedThread.setObjectName(QStringLiteral("zoolab-feeds"));
  m_feedThread.start();
}

MainWindow::~MainWindow() {
  // Waits for a read in progress; the feeds are deleted on their thread as it finishes.
  for (QObject* feed : std::initializer_list<QObject*>{m_poller, m_feed, m_dashboardFeed, m_textFeed,
                                                       m_patternFeed, m_inspectorFeed, m_windowFeed}) {
    if (feed) {
      feed->deleteLater();
    }
  }
  m_feedThread.quit();
  m_feedThread.wait();
}

void MainWindow::openDatabase(const QString& path) {
  const QString absolutePath = QFileInfo(path).absoluteFilePath();
  // The old poller and metric feed go like the feeds: deleted on their thread, and whatever they
  // already sent is dropped (m_databaseGeneration).
  for (QObject* reader : std::initializer_list<QObject*>{m_poller, m_feed}) {
    if (reader) {
      disconnect(reader, nullptr, nullptr, nullptr);
      reader->deleteLater();
    }
  }
  // The old feeds are deleted on their own thread, after any read in progress.
  const std::pair<QObject*, QObject*> oldFeeds[] = {{m_dashboards, m_dashboardFeed},
                                                    {m_text, m_textFeed},
                                                    {m_patterns, m_patternFeed},
                                                    {m_inspector, m_inspectorFeed}};
  for (const auto& [view, feed] : oldFeeds) {
    if (feed) {
      disconnect(view, nullptr, feed, nullptr);
      disconnect(feed, nullptr, nullptr, nullptr);
      feed->deleteLater();
    }
  }
  // The new feeds are wired before the views learn the path: a view may ask at once.
  m_dashboardFeed = new DashboardFeed(absolutePath);
  m_dashboardFeed->moveToThread(&m_feedThread);
  // Both queued (the objects live on different threads): a request never blocks the window, and the
  // view drops an answer about a database it no longer shows.
  connect(m_dashboards, &DashboardView::reloadRequested, m_dashboardFeed, &DashboardFeed::load);
  connect(m_dashboardFeed, &DashboardFeed::loaded, m_dashboards, &DashboardView::setData);
  m_textFeed = new TextFeed(absolutePath);
  m_textFeed->moveToThread(&m_feedThread);
  connect(m_text, &TextView::loadRequested, m_textFeed, &TextFeed::load);
  connect(m_textFeed, &TextFeed::loaded, m_text, &TextView::setData);
  m_patternFeed = new PatternFeed(absolutePath);
  m_patternFeed->moveToThread(&m_feedThread);
  connect(m_patterns, &PatternView::loadRequested, m_patternFeed, &PatternFeed::load);
  connect(m_patternFeed, &PatternFeed::loaded, m_patterns, &PatternView::setData);
  m_inspectorFeed = new InspectorFeed(absolutePath);
  m_inspectorFeed->moveToThread(&m_feedThread);
  connect(m_inspector, &InspectorView::loadRequested, m_inspectorFeed, &InspectorFeed::load);
  connect(m_inspectorFeed, &InspectorFeed::loaded, m_inspector, &InspectorView::setData);
  m_windowFeed = new WindowFeed(absolutePath);
  m_windowFeed->moveToThread(&m_feedThread);
  connect(m_windowFeed, &WindowFeed::loaded, this, &MainWindow::setWindowData);
  m_workerStore.reset();
  m_pendingSelection = 0;
  m_checkpointRun = 0;
  m_checkpoint.reset();
  m_liveWorker.reset();
  m_runs.clear();
  m_databasePath = absolutePath;
  m_databaseError.clear();
  m_workerError.clear();
  m_loaded = false;
  m_windowAnswered = false;
  m_readyEmitted = false;
  m_initialSelectionDone = false;
  m_lastWorkerCheckMs = 0;
  m_workerStartedMs = 0;
  m_runModel->setRuns({}, {});
  m_curves->clearData();
  m_curves->setRuns({});
  m_details->clear();
  m_dashboards->setDatabasePath(absolutePath);
  m_inspector->setDatabasePath(absolutePath);
  m_text->setDatabasePath(absolutePath);
  m_actions->setDatabasePath(absolutePath);
  setWindowTitle(QStringLiteral("zoolab — %1").arg(QDir::toNativeSeparators(absolutePath)));
  m_settings.setLastDatabasePath(absolutePath);

  // The poller and the metric feed poll on the feed thread too (their timers with them); the window
  // talks to them through queued calls, and their answers about a database no longer shown (sent
  // before it changed) are dropped.
  const quint64 generation = ++m_databaseGeneration;
  const auto current = [this, generation] { return generation == m_databaseGeneration; };
  m_poller = new DatabasePoller(absolutePath);
  m_poller->setInterval(m_settings.pollIntervalMs());
  m_poller->moveToThread(&m_feedThread);
  connect(m_poller, &DatabasePoller::runsChanged, this,
          [this, current](const std::vector<RunRecord>& runs,
                          const std::vector<std::vector<MetricSummary>>& summaries) {
            if (current()) {
              onRunsChanged(runs, summaries);
            }
          });
  connect(m_poller, &DatabasePoller::sweepNamesChanged, this,
          [this, current](const QMap<qint64, QString>& names) {
            if (current()) {
              m_runModel->setSweepNames(names);
            }
          });
  connect(m_poller, &DatabasePoller::errorOccurred, this, [this, current](const QString& message) {
    if (current()) {
      onDatabaseError(message);
    }
  });

  m_feed = new MetricFeed(absolutePath);
  m_feed->setInterval(m_settings.pollIntervalMs());
  m_feed->moveToThread(&m_feedThread);
  connect(m_feed, &MetricFeed::historyLoaded, this,
          [this, current](qint64 runId, const std::vector<MetricPoint>& points) {
            if (current()) {
              m_curves->setRunHistory(runId, points);
            }
          });
  connect(m_feed, &MetricFeed::pointsAppended, this, [this, current](const std::vector<MetricPoint>& points) {
    if (current()) {
      m_curves->appendMetrics(points);
    }
  });
  connect(m_feed, &MetricFeed::errorOccurred, this, [this, current](const QString& message) {
    if (current()) {
      onDatabaseError(message);
    }
  });

  updateStatus();
  QMetaObject::invokeMethod(m_poller, &DatabasePoller::start, Qt::QueuedConnection);
  QMetaObject::invokeMethod(m_feed, &MetricFeed::start, Qt::QueuedConnection);
}

void MainWindow::pollNow() {
  // Queued to the feed thread: the answers arrive as runsChanged and pointsAppended.
  if (m_poller) {
    QMetaObject::invokeMethod(m_poller, &DatabasePoller::poll, Qt::QueuedConnection);
  }
  if (m_feed) {
    QMetaObject::invokeMethod(m_feed, &MetricFeed::poll, Qt::QueuedConnection);
  }
}

bool MainWindow::selectRun(const QString& idOrName) {
  bool isNumber = false;
  const qint64 id = idOrName.toLongLong(&isNumber);
  for (int row = 0; row < m_runModel->rowCount(); ++row) {
    const RunRecord& run = m_runModel->run(row);
    if ((isNumber && run.id == id) || (!isNumber && QString::fromStdString(run.name) == idOrName)) {
      return m_runView->selectRun(run.id);
    }
  }
  return false;
}

QString MainWindow::workerStatus() const {
  return m_workerLabel->text();
}

void MainWindow::closeEvent(QCloseEvent* event) {
  // Training goes on in the worker's processes: closing only saves the layout.
  m_settings.setMainWindowGeometry(saveGeometry());
  m_settings.setMainWindowState(saveState());
  m_settings.setMainSplitterState(m_splitter->saveState());
  m_settings.setRunTableHeaderState(m_runView->saveHeaderState());
  m_settings.setDashboardErrorBars(m_dashboards->errorBars());
  m_settings.setCurveSmoothing(m_curves->smoothingChoices());
  m_settings.setRunTableColumns(m_runModel->addedColumns());
  m_settings.sync();
  QMainWindow::closeEvent(event);
}

void MainWindow::createMenus() {
  QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
  QAction* newAction =
      fileMenu->addAction(tr("&New Run…"), this, [this] { m_tabs->setCurrentWidget(m_editor); });
  newAction->setShortcut(QKeySequence::New);
  QAction* openAction = fileMenu->addAction(tr("&Open Database…"), this, &MainWindow::chooseDatabase);
  openAction->setShortcut(QKeySequence::Open);
  fileMenu->addSeparator();
  QAction* quitAction = fileMenu->addAction(tr("&Quit"), this, &QWidget::close);
  quitAction->setShortcut(QKeySequence::Quit);
  quitAction->setMenuRole(QAction::QuitRole);

  QMenu* editMenu = menuBar()->addMenu(tr("&Edit"));
  QAction* preferencesAction = editMenu->addAction(tr("&Preferences…"), this, &MainWindow::showPreferences);
  preferencesAction->setShortcut(QKeySequence::Preferences);
  preferencesAction->setMenuRole(QAction::PreferencesRole);

  QMenu* runsMenu = menuBar()->addMenu(tr("&Runs"));
  QAction* cancelAction = runsMenu->addAction(tr("&Cancel"), this, [this] {
    for (const qint64 id : m_runView->selectedRunIds()) {
      m_actions->cancel(id);
    }
  });
  cancelAction->setShortcut(Qt::CTRL | Qt::Key_Period);
  runsMenu->addAction(tr("&Resume"), this, [this] {
    for (const qint64 id : m_runView->selectedRunIds()) {
      m_actions->resume(id);
    }
  });
  runsMenu->addAction(tr("D&uplicate and Edit…"), this, [this] {
    const QList<qint64> ids = m_runView->selectedRunIds();
    if (!ids.isEmpty()) {
      duplicateRun(ids.front());
    }
  });
  QAction* deleteAction =
      runsMenu->addAction(tr("&Delete…"), this, [this] { m_actions->remove(m_runView->selectedRunIds()); });
  deleteAction->setShortcut(QKeySequence::Delete);
  deleteAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  m_runView->addAction(deleteAction);
  runsMenu->addSeparator();
  runsMenu->addAction(tr("Start &Worker"), this, [this] { ensureWorker(/*force=*/true); });

  QMenu* viewMenu = menuBar()->addMenu(tr("&View"));
  QAction* refreshAction = viewMenu->addAction(tr("&Refresh"), this, [this] {
    // Also retries a database that failed to open (the poller stops its timer then).
    if (m_poller) {
      QMetaObject::invokeMethod(m_poller, &DatabasePoller::start, Qt::QueuedConnection);
    }
    pollNow();
  });
  refreshAction->setShortcut(QKeySequence::Refresh);

  QMenu* helpMenu = menuBar()->addMenu(tr("&Help"));
  QAction* aboutAction = helpMenu->addAction(tr("&About zoolab"), this, &MainWindow::showAbout);
  aboutAction->setMenuRole(QAction::AboutRole);
  QAction* aboutQtAction = helpMenu->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
  aboutQtAction->setMenuRole(QAction::AboutQtRole);
}

void MainWindow::chooseDatabase() {
  const QString startDir =
      m_databasePath.isEmpty() ? QDir::homePath() : QFileInfo(m_databasePath).absolutePath();
  const QString path = QFileDialog::getOpenFileName(this, tr("Open Database"), startDir,
                                                    tr("zoolab databases (*.sqlite *.db);;All files (*)"));
  if (!path.isEmpty()) {
    openDatabase(path);
  }
}

void MainWindow::showAbout() {
  QMessageBox::about(
      this, tr("About zoolab"),
      tr("<h3>zoolab %1</h3>"
         "<p>A workbench for studying recall in efficient language models: configure attention, "
         "gated-convolution and linear-attention models, train them on multi-query associative recall "
         "(MQAR), and inspect which tokens each model fails to recall.</p>"
         "<p>It reproduces and extends the Zoology study. Please cite:<br>"
         "S. Arora, S. Eyuboglu, et al. <i>Zoology: Measuring and Improving Recall in Efficient Language "
         "Models.</i> arXiv:2312.04927, 2023 (ICLR 2024).</p>"
         "<p>Licensed under the GNU General Public License, version 3 or (at your option) any later "
         "version (GPL-3.0-or-later). It comes with no warranty.</p>")
          .arg(QApplication::applicationVersion()));
}

void MainWindow::showPreferences() {
  SettingsDialog dialog(m_settings, this);
  if (dialog.exec() == QDialog::Accepted) {
    const int interval = m_settings.pollIntervalMs();
    if (m_poller) {
      QMetaObject::invokeMethod(
          m_poller, [poller = m_poller, interval] { poller->setInterval(interval); }, Qt::QueuedConnection);
    }
    if (m_feed) {
      QMetaObject::invokeMethod(
          m_feed, [feed = m_feed, interval] { feed->setInterval(interval); }, Qt::QueuedConnection);
    }
    m_dashboards->setFigureStyle(m_settings.figureStyle());
    m_curves->setFigureStyle(m_settings.figureStyle());
    m_inspector->setFigureStyle(m_settings.figureStyle());
  }
}

void MainWindow::onRunsChanged(const std::vector<RunRecord>& runs,
                               const std::vector<std::vector<MetricSummary>>& summaries) {
  std::map<qint64, std::pair<RunRecord, std::vector<MetricSummary>>> byId;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunRecord& run = runs[i];
    // A resumed run's metrics were cut back to its checkpoint: its curves are read whole again.
    const auto previous = m_runs.find(run.id);
    if (previous != m_runs.end() && previous->second.first.status != RunStatus::Running &&
        run.status == RunStatus::Running && m_feed) {
      QMetaObject::invokeMethod(
          m_feed, [feed = m_feed, id = run.id] { feed->reload(id); }, Qt::QueuedConnection);
    }
    m_curves->setRunColour(run.id, runColour(run.id, run.colour));
    m_curves->setRunName(run.id, QString::fromStdString(run.name));
    // The wall-clock axis starts each run at its first start; started_at is ISO 8601 UTC ("...Z").
    m_curves->setRunStartTime(run.id,
                              QDateTime::fromString(QString::fromStdString(run.started_at), Qt::ISODate));
    if (!m_curves->hasRunGroup(run.id)) {  // a run's configuration never changes: parsed once
      const auto config = nlohmann::json::parse(run.config_json, nullptr, false);
      m_curves->setRunGroup(run.id, config.is_discarded()
                                        ? QStringLiteral("run %1").arg(run.id)  // a group of its own
                                        : QString::fromStdString(seed_group_key(config)));
    }
    byId.emplace(run.id,
                 std::make_pair(run, i < summaries.size() ? summaries[i] : std::vector<MetricSummary>{}));
  }
  m_runs = std::move(byId);
  m_runModel->setRuns(runs, summaries);
  if (m_pendingSelection != 0 && m_runView->selectRun(m_pendingSelection)) {
    m_pendingSelection = 0;  // a run just queued, now listed (showQueued)
  }
  // The poller announces only changes of runs or summaries, which is what the dashboards are built from.
  m_dashboards->databaseChanged();
  m_inspector->setRuns(runs);
  m_text->setDatabaseRuns(runs);
  m_databaseError.clear();
  m_loaded = true;
  selectInitialRun();
  refreshDetails();
  if (m_runModel->countWithStatus(RunStatus::Queued) > 0) {
    ensureWorker(/*force=*/false);
  }
  updateStatus();
  emitReadyOnce();
}

void MainWindow::selectInitialRun() {
  if (m_initialSelectionDone) {
    return;
  }
  m_initialSelectionDone = true;
  if (m_pendingSelection != 0 || !m_runView->selectedRunIds().isEmpty() || m_runs.empty()) {
    return;
  }
  // Ids grow with creation: the newest run is the largest id (m_runs is ordered by id).
  m_runView->selectRun(m_runs.rbegin()->first);
}

void MainWindow::emitReadyOnce() {
  // A database that cannot be read is ready too: the window shows its error.
  if (!m_readyEmitted && ((m_loaded && m_windowAnswered) || !m_databaseError.isEmpty())) {
    m_readyEmitted = true;
    Q_EMIT ready();
  }
}

void MainWindow::onDatabaseError(const QString& message) {
  m_databaseError = message;
  updateStatus();
  emitReadyOnce();
}

void MainWindow::onSelectionChanged(const QList<qint64>& runIds) {
  // The feed forgets deselected runs and reads them whole if they come back: drop their points too.
  for (const qint64 id : m_curves->runs()) {
    if (!runIds.contains(id)) {
      m_curves->removeRunData(id);
    }
  }
  m_curves->setRuns(QVector<qint64>(runIds.begin(), runIds.end()));
  m_inspector->setSelectedRuns(runIds);
  m_text->setSelectedRuns(runIds);
  if (m_feed) {
    QMetaObject::invokeMethod(
        m_feed, [feed = m_feed, runIds] { feed->setRuns(runIds); }, Qt::QueuedConnection);
  }
  refreshDetails();
}

void MainWindow::refreshDetails() {
  showDetails();
  if (m_windowFeed) {
    const QList<qint64> selected = m_runView->selectedRunIds();
    const WindowRequest request{selected.isEmpty() ? 0 : selected.front()};
    // Queued to the feed's thread; the answer comes back through WindowFeed::loaded.
    QMetaObject::invokeMethod(
        m_windowFeed, [feed = m_windowFeed, request] { feed->load(request); }, Qt::QueuedConnection);
  }
}

void MainWindow::showDetails() {
  const QList<qint64> selected = m_runView->selectedRunIds();
  const auto it = selected.isEmpty() ? m_runs.end() : m_runs.find(selected.front());
  if (it == m_runs.end()) {
    // An empty database: the details say how to start, as the run table does.
    m_details->clear(m_loaded && m_runs.empty()
                         ? tr("No runs yet. Configure one in the Configure tab (File › New Run), or queue "
                              "one from a terminal:\n\n%1")
                               .arg(firstRunCommand(m_databasePath))
                         : QString());
    return;
  }
  std::vector<CheckpointRecord> checkpoints;
  if (m_checkpointRun == it->first && m_checkpoint) {
    checkpoints.push_back(*m_checkpoint);
  }
  m_details->setRun(it->second.first, it->second.second, checkpoints);
}

void MainWindow::setWindowData(std::shared_ptr<const WindowData> data) {
  if (!data || data->databasePath != m_databasePath) {
    return;
  }
  // A database that cannot be read: the poller reports it; the details show the run without its
  // checkpoint.
  const bool checkpointChanged = m_checkpointRun != data->runId ||
                                 m_checkpoint.has_value() != data->latestCheckpoint.has_value() ||
                                 (m_checkpoint && m_checkpoint->id != data->latestCheckpoint->id);
  m_checkpointRun = data->runId;
  m_checkpoint = data->latestCheckpoint;
  m_liveWorker = data->liveWorker;
  m_windowAnswered = true;
  const QList<qint64> selected = m_runView->selectedRunIds();
  if (checkpointChanged && !selected.isEmpty() && selected.front() == data->runId) {
    showDetails();
  }
  updateStatus();
  emitReadyOnce();
}

void MainWindow::onRunActivated(qint64 runId) {
  if (m_runs.count(runId)) {
    m_tabs->setCurrentWidget(m_details);
  }
}

void MainWindow::selectFigureRuns(const QList<qint64>& runIds) {
  const int selected = m_runView->selectRuns(runIds);
  if (selected < runIds.size()) {
    // Selecting a run the filter hides would leave the explorer showing nothing of it: say so instead.
    statusBar()->showMessage(
        tr("Selected %1 of the figure's %2 runs; the others are hidden by the run filter")
            .arg(selected)
            .arg(runIds.size()),
        5000);
  }
}

void MainWindow::duplicateRun(qint64 runId) {
  const auto it = m_runs.find(runId);
  if (it == m_runs.end()) {
    return;
  }
  const auto config =
      nlohmann::json::parse(it->second.first.config_json, nullptr, /*allow_exceptions=*/false);
  if (!config.is_object()) {
    QMessageBox::warning(this, tr("Duplicate run"),
                         tr("Run %1's stored configuration is not a JSON object.").arg(runId));
    return;
  }
  m_editor->setConfig(config);
  m_tabs->setCurrentWidget(m_editor);
}

void MainWindow::launch(const std::vector<nlohmann::json>& configs) {
  showQueued(m_actions->enqueue(configs));
}

void MainWindow::launchSweep(const nlohmann::json& spec) {
  showQueued(m_actions->enqueueSweep(spec));
}

void MainWindow::showQueued(const QList<qint64>& ids) {
  if (ids.isEmpty()) {
    return;
  }
  statusBar()->showMessage(
      ids.size() == 1 ? tr("Queued run %1").arg(ids.front())
                      : tr("Queued %1 runs (%2 to %3)").arg(ids.size()).arg(ids.front()).arg(ids.back()),
      5000);
  pollNow();
  // The poll answers later: the run is selected once it is listed.
  m_pendingSelection = m_runView->selectRun(ids.back()) ? 0 : ids.back();
  m_tabs->setCurrentWidget(m_curves);
}

void MainWindow::ensureWorker(bool force) {
  if (!m_workerAutostart || m_databasePath.isEmpty()) {
    return;
  }
  const qint64 now = QDateTime::currentMSecsSinceEpoch();
  // A worker just started needs a moment to register; asking again before would start a second one.
  if (now - m_workerStartedMs < kWorkerStartGraceMs ||
      (!force && now - m_lastWorkerCheckMs < kWorkerCheckIntervalMs)) {
    return;
  }
  m_lastWorkerCheckMs = now;
  try {
    if (!m_workerStore) {
      m_workerStore = std::make_unique<Store>(m_databasePath.toStdString());
    }
    const auto result =
        WorkerLauncher::ensureWorker(*m_workerStore, m_settings.workerSlots(), m_settings.workerThreads());
    m_workerError = result.error;
    if (result.started) {
      m_workerStartedMs = now;
    }
  } catch (const std::exception& error) {
    m_workerError = QString::fromUtf8(error.what());
  }
  updateStatus();
}

void MainWindow::updateStatus() {
  const QString path = QDir::toNativeSeparators(m_databasePath);
  QString worker = tr("no worker");
  if (!m_workerError.isEmpty()) {
    worker = tr("worker: %1").arg(m_workerError);
  } else if (m_liveWorker) {
    worker = tr("worker pid %1 · %n slot(s)", nullptr, static_cast<int>(m_liveWorker->slots))
                 .arg(m_liveWorker->pid);
  }
  m_workerLabel->setText(worker);
  m_databaseLabel->setToolTip(path);
  m_databaseLabel->setStyleSheet(QString());
  if (!m_databaseError.isEmpty()) {
    // The store's messages name the file already.
    m_databaseLabel->setStyleSheet(QStringLiteral("color: #d32f2f"));
    m_databaseLabel->setText(tr("Database error: %1").arg(m_databaseError));
    m_countLabel->clear();
    m_runView->setEmptyText(
        tr("<p><b>This database cannot be read.</b></p><p>%1</p>"
           "<p>Open another one with File › Open Database…, or retry with View › Refresh.</p>")
            .arg(m_databaseError.toHtmlEscaped()));
    return;
  }
  if (!m_loaded) {
    m_databaseLabel->setText(tr("Opening %1…").arg(path));
    m_countLabel->clear();
    m_runView->setEmptyText(QString());
    return;
  }
  const QString command = firstRunCommand(m_databasePath);
  m_runView->setEmptyText(tr("<p><b>No runs yet.</b></p><p>Configure one in the Configure tab "
                             "(File › New Run), or queue one from a terminal:</p>"
                             "<p><code>%1</code></p><p>It appears here as soon as it is queued.</p>")
                              .arg(command.toHtmlEscaped()));
  const int runs = m_runModel->rowCount();
  if (runs == 0) {
    m_databaseLabel->setText(
        tr("%1 has no runs yet. Configure one, or queue one with:  %2").arg(path, command));
    m_countLabel->setText(tr("0 runs"));
    return;
  }
  m_databaseLabel->setText(path);
  const int running = m_runModel->countWithStatus(RunStatus::Running);
  const int queued = m_runModel->countWithStatus(RunStatus::Queued);
  QString count = runs == 1 ? tr("1 run") : tr("%1 runs").arg(runs);
  if (running > 0) {
    count += tr(", %1 running").arg(running);
  }
  if (queued > 0) {
    count += tr(", %1 queued").arg(queued);
  }
  m_countLabel->setText(count);
}

}  // namespace zoolab
