// The workbench window driven through its real widgets, against a real database and a real worker
// (zoolab-cli from this build): an invalid value is refused with the engine's message, a launched run
// trains in the background worker and its curve is drawn, a run is cancelled from the details, and the
// layout comes back when the window is reopened.

#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <memory>
#include <optional>

#include <QComboBox>
#include <QCoreApplication>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>

#include "app/gui/main_window.h"
#include "app/gui/run_actions.h"
#include "app/gui/settings.h"
#include "engine/store/store.h"
#include "views/config_editor.h"
#include "views/curve_plot.h"
#include "views/dashboard_view.h"
#include "views/run_config_form.h"
#include "views/run_details_view.h"
#include "views/run_table_model.h"
#include "views/run_table_view.h"
#include "views/window_feed.h"

namespace zoolab {
namespace {

// tests/app/tiny.json (about a second per epoch) with `epochs` epochs.
nlohmann::json tinyConfig(int epochs) {
  std::ifstream file(std::string(ZOOLAB_SOURCE_DIR) + "/tests/app/tiny.json");
  nlohmann::json config = nlohmann::json::parse(file);
  config["train"]["max_epochs"] = epochs;
  return config;
}

class WorkbenchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_dir.isValid());
    // The window starts `zoolab-cli worker` from this build (WorkerLauncher::findCli).
    qputenv("ZOOLAB_CLI", ZOOLAB_CLI_PATH);
    m_settings = std::make_unique<Settings>(m_dir.filePath(QStringLiteral("zoolab.ini")));
    m_db = m_dir.filePath(QStringLiteral("runs.sqlite"));
  }

  void TearDown() override {
    // The worker outlives windows by design; stop it so it does not outlive the test.
    Store store(m_db.toStdString());
    if (const auto worker = store.live_worker()) {
      store.request_worker_stop(worker->id);
      for (int i = 0; i < 300 && store.live_worker(); ++i) {
        QTest::qWait(100);
      }
    }
  }

  std::unique_ptr<MainWindow> openWindow() {
    auto window = std::make_unique<MainWindow>(*m_settings);
    window->openDatabase(m_db);
    window->show();
    window->pollNow();
    return window;
  }

  // Polls the window until `done` holds, at most `seconds`.
  static bool waitFor(MainWindow& window, const std::function<bool()>& done, int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
      window.pollNow();
      if (done()) {
        return true;
      }
      QTest::qWait(100);
    }
    return done();
  }

  static std::optional<RunRecord> runInTable(MainWindow& window, qint64 id) {
    const int row = window.runModel()->rowOfRun(id);
    return row < 0 ? std::nullopt : std::optional<RunRecord>(window.runModel()->run(row));
  }

  QTemporaryDir m_dir;
  std::unique_ptr<Settings> m_settings;
  QString m_db;
};

TEST_F(WorkbenchTest, AnInvalidValueShowsTheEnginesMessageAndBlocksLaunch) {
  auto window = openWindow();
  ConfigEditor* editor = window->configEditor();
  window->tabs()->setCurrentWidget(editor);
  editor->setConfig(tinyConfig(2));
  editor->validateNow();
  ASSERT_TRUE(editor->isValid()) << editor->validationMessage().toStdString();
  EXPECT_TRUE(editor->launchButton()->isEnabled());

  // 3 heads do not divide d_model 32: typed into the mixer's own form field.
  auto* heads =
      qobject_cast<QSpinBox*>(editor->form()->widgetForPath("model.sequence_mixer.kwargs.num_heads"));
  ASSERT_NE(heads, nullptr);
  heads->setFocus();
  heads->selectAll();
  QTest::keyClicks(heads, "3");
  EXPECT_EQ(heads->value(), 3);
  ASSERT_TRUE(waitFor(
      *window, [&] { return !editor->isValid(); }, 5));
  EXPECT_TRUE(editor->validationMessage().startsWith("model.sequence_mixer.kwargs"))
      << editor->validationMessage().toStdString();
  EXPECT_TRUE(editor->messageLabel()->isVisible());
  EXPECT_EQ(editor->messageLabel()->text(), editor->validationMessage());
  EXPECT_FALSE(editor->launchButton()->isEnabled());

  heads->selectAll();
  QTest::keyClicks(heads, "2");
  ASSERT_TRUE(waitFor(
      *window, [&] { return editor->isValid(); }, 5));
  EXPECT_TRUE(editor->launchButton()->isEnabled());
}

TEST_F(WorkbenchTest, ALaunchedRunTrainsInTheWorkerAndItsCurveIsDrawn) {
  auto window = openWindow();
  ConfigEditor* editor = window->configEditor();
  nlohmann::json config = tinyConfig(3);
  config["name"] = "launched-from-the-window";
  editor->setConfig(config);
  editor->validateNow();
  ASSERT_TRUE(editor->isValid()) << editor->validationMessage().toStdString();
  QTest::mouseClick(editor->launchButton(), Qt::LeftButton);

  // Queued, selected, and picked up by the worker the window started.
  ASSERT_TRUE(waitFor(
      *window, [&] { return window->runModel()->rowCount() == 1; }, 5));
  const qint64 id = window->runModel()->run(0).id;
  EXPECT_EQ(window->runModel()->run(0).name, "launched-from-the-window");
  EXPECT_EQ(window->runView()->selectedRunIds(), QList<qint64>{id});
  ASSERT_TRUE(waitFor(
      *window, [&] { return runInTable(*window, id)->status == RunStatus::Finished; }, 120))
      << "status " << to_string(runInTable(*window, id)->status) << ": " << runInTable(*window, id)->error;
  EXPECT_TRUE(window->workerStatus().contains("worker pid")) << window->workerStatus().toStdString();
  EXPECT_EQ(runInTable(*window, id)->epochs, 3);

  // Its curve: the chosen metric's points, as many as the store holds for it.
  CurvePlot* curves = window->curvePlot();
  ASSERT_TRUE(waitFor(
      *window, [&] { return curves->graphCount() >= 1; }, 5));
  const QString metric = curves->metric();
  ASSERT_FALSE(metric.isEmpty());
  const auto stored = Store(m_db.toStdString()).metrics(id, metric.toStdString());
  ASSERT_FALSE(stored.empty());
  EXPECT_TRUE(waitFor(
      *window,
      [&] { return curves->plottedPoints(id, /*smoothed=*/false).size() == static_cast<int>(stored.size()); },
      5))
      << curves->plottedPoints(id, false).size() << " points drawn, " << stored.size() << " stored";
}

TEST_F(WorkbenchTest, CancelsARunFromItsDetails) {
  auto window = openWindow();
  const QList<qint64> ids = window->runActions()->enqueue({tinyConfig(300)});
  ASSERT_EQ(ids.size(), 1);
  const qint64 id = ids.front();
  ASSERT_TRUE(waitFor(
      *window, [&] { return runInTable(*window, id) && runInTable(*window, id)->epochs >= 1; }, 120));
  ASSERT_TRUE(window->runView()->selectRun(id));
  window->tabs()->setCurrentWidget(window->detailsView());
  ASSERT_EQ(window->detailsView()->runId(), id);
  ASSERT_TRUE(window->detailsView()->cancelButton()->isEnabled());
  QTest::mouseClick(window->detailsView()->cancelButton(), Qt::LeftButton);
  ASSERT_TRUE(waitFor(
      *window, [&] { return runInTable(*window, id)->status == RunStatus::Cancelled; }, 60))
      << to_string(runInTable(*window, id)->status);
  // Cancelled after a checkpoint: it can be resumed, and the details offer it.
  EXPECT_TRUE(window->detailsView()->resumeButton()->isEnabled());
  EXPECT_FALSE(window->detailsView()->cancelButton()->isEnabled());
}

// A sweep from the editor's Sweep dialog is a named sweep, as `zoolab-cli sweep` makes: its runs train in
// the worker, the Dashboards tab shows its progress, and the same sweep again queues nothing.
TEST_F(WorkbenchTest, ASweepFromTheEditorIsANamedSweepWithProgress) {
  auto window = openWindow();
  nlohmann::json base = tinyConfig(1);
  base["name"] = "gui";
  const nlohmann::json spec = {
      {"name", "gui-widths"},
      {"base", base},
      {"grid", nlohmann::json::array({nlohmann::json::array({"model.d_model", {16, 32}})})},
      {"zip", nlohmann::json::array()}};
  Q_EMIT window->configEditor()->sweepRequested(spec);
  const auto sweep = [&] { return Store(m_db.toStdString()).find_sweep("gui-widths"); };
  ASSERT_TRUE(sweep().has_value());
  EXPECT_EQ(sweep()->total, 2);
  ASSERT_TRUE(waitFor(
      *window, [&] { return sweep()->finished == 2; }, 120))
      << sweep()->finished;

  window->tabs()->setCurrentWidget(window->dashboardView());
  window->dashboardView()->refresh();
  auto* combo = window->dashboardView()->findChild<QComboBox*>(QStringLiteral("sweepCombo"));
  ASSERT_NE(combo, nullptr);
  // The feed answers on its thread.
  EXPECT_TRUE(QTest::qWaitFor(
      [&] { return combo->findText(QStringLiteral("gui-widths: 2/2 finished"), Qt::MatchStartsWith) >= 0; },
      5000));

  Q_EMIT window->configEditor()->sweepRequested(spec);
  EXPECT_EQ(sweep()->total, 2);
}

// Reopening restores the window's size and splitter; the tab is Details (see below), not the last one.
TEST_F(WorkbenchTest, ReopeningRestoresTheLayout) {
  QList<int> sizes;
  {
    auto window = openWindow();
    window->setWorkerAutostart(false);
    window->resize(1300, 760);
    window->tabs()->setCurrentWidget(window->configEditor());
    window->splitter()->setSizes({420, 860});
    sizes = window->splitter()->sizes();
    window->close();
  }
  auto window = openWindow();
  EXPECT_EQ(window->tabs()->currentWidget(), window->detailsView());
  EXPECT_EQ(window->size(), QSize(1300, 760));
  EXPECT_EQ(window->splitter()->sizes(), sizes);
}

// The window's own reads (the details' checkpoint, the worker in the status bar) come from its feed; an
// answer about a database it no longer shows is dropped.
TEST_F(WorkbenchTest, TheWindowDropsAFeedAnswerAboutAnotherDatabase) {
  auto window = openWindow();
  window->setWorkerAutostart(false);
  WindowData answer;
  answer.liveWorker = WorkerRecord{};
  answer.liveWorker->pid = 4242;
  answer.liveWorker->slots = 2;
  answer.databasePath = m_dir.filePath(QStringLiteral("other.sqlite"));
  window->setWindowData(std::make_shared<const WindowData>(answer));
  EXPECT_FALSE(window->workerStatus().contains(QStringLiteral("4242")))
      << window->workerStatus().toStdString();
  answer.databasePath = window->databasePath();
  window->setWindowData(std::make_shared<const WindowData>(answer));
  EXPECT_TRUE(window->workerStatus().startsWith(QStringLiteral("worker pid 4242")))
      << window->workerStatus().toStdString();
}

// The window opens on the newest run's details, whatever tab was shown last; a database without runs
// shows how to start one.
TEST_F(WorkbenchTest, OpensOnTheNewestRunsDetails) {
  m_settings->setCurrentTab(MainWindow::ConfigureTab);
  {
    MainWindow empty(*m_settings);
    empty.setWorkerAutostart(false);
    empty.openDatabase(m_dir.filePath(QStringLiteral("empty.sqlite")));
    empty.show();
    empty.pollNow();
    ASSERT_TRUE(QTest::qWaitFor([&] { return empty.isReady(); }, 10000));
    EXPECT_EQ(empty.tabs()->currentWidget(), empty.detailsView());
    EXPECT_FALSE(empty.detailsView()->runId().has_value());
    EXPECT_TRUE(empty.detailsView()->hintText().startsWith("No runs yet."))
        << empty.detailsView()->hintText().toStdString();
    EXPECT_TRUE(empty.detailsView()->hintText().contains("zoolab-cli enqueue --preset mqar-quick"));
  }
  qint64 newest = 0;
  {
    Store store(m_db.toStdString());
    for (const char* name : {"older", "newest"}) {
      NewRun run;
      run.name = name;
      run.task = "mqar";
      run.config_json = tinyConfig(1).dump();
      run.status = RunStatus::Finished;
      newest = store.create_run(run);
    }
  }
  MainWindow window(*m_settings);
  window.setWorkerAutostart(false);
  window.openDatabase(m_db);
  window.show();
  window.pollNow();
  ASSERT_TRUE(QTest::qWaitFor([&] { return window.isReady(); }, 10000));
  EXPECT_EQ(window.tabs()->currentWidget(), window.detailsView());
  EXPECT_EQ(window.runView()->selectedRunIds(), QList<qint64>{newest});
  EXPECT_EQ(window.detailsView()->runId(), newest);
}

// ready() (what `zoolab --screenshot` waits for) comes once the worker serving the database is known:
// the status bar then names it rather than "no worker".
TEST_F(WorkbenchTest, IsReadyOnceTheWorkerIsRead) {
  Store store(m_db.toStdString());
  const int64_t worker = store.register_worker(QCoreApplication::applicationPid(), 3);
  MainWindow window(*m_settings);
  window.setWorkerAutostart(false);
  bool statusAtReady = false;
  QString status;
  QObject::connect(&window, &MainWindow::ready, &window, [&] {
    statusAtReady = true;
    status = window.workerStatus();
  });
  window.openDatabase(m_db);
  window.show();
  window.pollNow();
  EXPECT_FALSE(window.isReady());
  ASSERT_TRUE(QTest::qWaitFor([&] { return statusAtReady; }, 10000));
  EXPECT_TRUE(status.startsWith(QStringLiteral("worker pid %1").arg(QCoreApplication::applicationPid())))
      << status.toStdString();
  store.remove_worker(worker);
}

}  // namespace
}  // namespace zoolab
