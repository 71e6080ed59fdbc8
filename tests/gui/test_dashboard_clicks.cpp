// Click-through from the Dashboards tab to the run explorer, in the window over a real database: a
// click on a point selects the runs behind it in the run table, a double click opens its run's details,
// and the error-bar choice is kept across windows.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <memory>
#include <string>

#include <QComboBox>
#include <QTabWidget>
#include <QTest>

#include "app/gui/main_window.h"
#include "engine/store/store.h"
#include "tests/support/gui_window.h"
#include "views/dashboard_view.h"
#include "views/figure_view.h"
#include "views/qcustomplot_include.h"
#include "views/run_details_view.h"
#include "views/run_table_view.h"

namespace zoolab {
namespace {

class DashboardClicksTest : public GuiWindowTest {
 protected:
  // A finished run of tests/app/tiny.json with this mixer and width, its last valid/accuracy `accuracy`.
  int64_t addRun(Store& store, const std::string& mixer, int64_t dModel, double accuracy) {
    std::ifstream file(std::string(ZOOLAB_SOURCE_DIR) + "/tests/app/tiny.json");
    nlohmann::json config = nlohmann::json::parse(file);
    config["model"]["d_model"] = dModel;
    config["model"]["sequence_mixer"]["name"] = mixer;
    NewRun run;
    run.name = mixer + "-d" + std::to_string(dModel);
    config["name"] = run.name;
    run.task = "mqar";
    run.mixer = mixer;
    run.config_json = config.dump();
    run.status = RunStatus::Running;
    const int64_t id = store.create_run(run);
    MetricPoint point;
    point.run_id = id;
    point.key = "valid/accuracy";
    point.step = 10;
    point.epoch = 0;
    point.value = accuracy;
    store.append_metrics({point});
    store.set_status(id, RunStatus::Finished);
    return id;
  }

  // Opens the window on the accuracy-vs-width dashboard of `runs` runs, laid out.
  std::unique_ptr<MainWindow> openDashboard(int runs) {
    auto window = openWindow(runs, QSize(1400, 800));
    DashboardView* dashboards = window->dashboardView();
    window->tabs()->setCurrentWidget(dashboards);
    EXPECT_TRUE(dashboards->setDashboard(QStringLiteral("accuracy-vs-width")));
    EXPECT_TRUE(QTest::qWaitFor(
        [&] {
          return static_cast<int>(dashboards->runs().size()) == runs &&
                 dashboards->figureView()->panelCount() > 0;
        },
        5000));
    QTest::qWait(FigureView::kReplotIntervalMs + 100);  // laid out, for the pixel positions
    return window;
  }
};

QPoint pixelOf(const FigureView& view, int panel, int series, const FigurePoint& point) {
  const QCPGraph* graph = view.seriesGraph(panel, series);
  return QPoint(static_cast<int>(std::lround(graph->keyAxis()->coordToPixel(point.x))),
                static_cast<int>(std::lround(graph->valueAxis()->coordToPixel(point.y))));
}

QList<qint64> runsBehind(const FigurePoint& point) {
  QList<qint64> runs;
  for (const int64_t id : point.run_ids) {
    runs.append(id);
  }
  if (runs.isEmpty()) {
    runs.append(point.run_id);
  }
  return runs;
}

TEST_F(DashboardClicksTest, AClickSelectsThePointsRunsInTheExplorerAndADoubleClickOpensItsDetails) {
  {
    Store store(m_db.toStdString());
    addRun(store, "attention", 32, 0.6);
    addRun(store, "attention", 64, 0.8);
    addRun(store, "hyena", 32, 0.3);
    addRun(store, "hyena", 64, 0.4);
  }
  auto window = openDashboard(4);
  const FigureView* view = window->dashboardView()->figureView();
  ASSERT_EQ(view->figure().panels.size(), 1u);
  const FigurePanel& panel = view->figure().panels[0];
  ASSERT_EQ(panel.series.size(), 2u);
  // The window opens with the newest run selected; the click below replaces that selection.
  EXPECT_EQ(window->runView()->selectedRunIds().size(), 1);

  const FigurePoint second = panel.series[1].points.back();
  QTest::mouseClick(view->customPlot(), Qt::LeftButton, {}, pixelOf(*view, 0, 1, second));
  EXPECT_EQ(window->runView()->selectedRunIds(), runsBehind(second));
  EXPECT_EQ(window->tabs()->currentWidget(), window->dashboardView());  // the figure stays in view

  const FigurePoint first = panel.series[0].points.front();
  QTest::mouseClick(view->customPlot(), Qt::LeftButton, {}, pixelOf(*view, 0, 0, first));
  EXPECT_EQ(window->runView()->selectedRunIds(), runsBehind(first));

  QTest::mouseDClick(view->customPlot(), Qt::LeftButton, {}, pixelOf(*view, 0, 1, second));
  EXPECT_EQ(window->runView()->selectedRunIds(), QList<qint64>{second.run_id});
  EXPECT_EQ(window->tabs()->currentWidget(), window->detailsView());
}

TEST_F(DashboardClicksTest, BrushingParallelCoordinatesSelectsTheBrushedRunsInTheExplorer) {
  QList<qint64> good;
  {
    Store store(m_db.toStdString());
    good.append(addRun(store, "attention", 32, 0.6));
    good.append(addRun(store, "attention", 64, 0.8));
    addRun(store, "hyena", 32, 0.3);
    addRun(store, "hyena", 64, 0.4);
  }
  auto window = openDashboard(4);
  DashboardView* dashboards = window->dashboardView();
  ASSERT_TRUE(dashboards->setDashboard(QStringLiteral("parallel-coordinates")));
  QTest::qWait(FigureView::kReplotIntervalMs + 100);
  const FigureView* view = dashboards->figureView();
  ASSERT_EQ(view->panelCount(), 1);
  const FigurePanel& panel = view->figure().panels[0];
  ASSERT_FALSE(panel.parallel_axes.empty());
  const double metricAxis = static_cast<double>(panel.parallel_axes.size() - 1);
  EXPECT_EQ(panel.parallel_axes.back().name, "valid/accuracy");
  const QCPAxisRect* rect = view->panelRect(0);
  const auto pixel = [&](double y) {
    return QPoint(static_cast<int>(std::lround(rect->axis(QCPAxis::atBottom)->coordToPixel(metricAxis))),
                  static_cast<int>(std::lround(rect->axis(QCPAxis::atLeft)->coordToPixel(y))));
  };
  // Accuracies 0.3..0.8 sit at 0..1 on the metric's axis: 0.5..1 holds 0.6 and 0.8.
  QTest::mousePress(view->customPlot(), Qt::LeftButton, {}, pixel(1.0));
  QTest::mouseMove(view->customPlot(), pixel(0.75));
  QTest::mouseRelease(view->customPlot(), Qt::LeftButton, {}, pixel(0.5));
  QList<qint64> selected = window->runView()->selectedRunIds();
  std::sort(selected.begin(), selected.end());
  EXPECT_EQ(selected, good);
}

TEST_F(DashboardClicksTest, TheErrorBarChoiceIsKeptAcrossWindows) {
  {
    Store store(m_db.toStdString());
    addRun(store, "attention", 32, 0.6);
  }
  {
    auto window = openDashboard(1);
    auto* combo = window->dashboardView()->findChild<QComboBox*>(QStringLiteral("errorBarsCombo"));
    ASSERT_NE(combo, nullptr);
    combo->setCurrentIndex(combo->findData(QStringLiteral("minmax")));
    Q_EMIT combo->activated(combo->currentIndex());
    EXPECT_EQ(window->dashboardView()->options().error_bars, "minmax");
    window->close();
  }
  auto window = openWindow(1);
  EXPECT_EQ(window->dashboardView()->errorBars(), QStringLiteral("minmax"));
  EXPECT_EQ(window->dashboardView()->options().error_bars, "minmax");
}

}  // namespace
}  // namespace zoolab
