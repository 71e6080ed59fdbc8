// The curves tab inside the window, against a real database: the window gives the curves each run's seed
// group (from its stored configuration) and start time, and a click on a legend entry selects the runs
// it names in the explorer.

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <QItemSelectionModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <nlohmann/json.hpp>

#include "app/gui/main_window.h"
#include "app/gui/settings.h"
#include "engine/store/store.h"
#include "views/curve_plot.h"
#include "views/qcustomplot_include.h"
#include "views/run_table_model.h"
#include "views/run_table_view.h"

namespace zoolab {
namespace {

class CurvesWindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_dir.isValid());
    m_settings = std::make_unique<Settings>(m_dir.filePath(QStringLiteral("zoolab.ini")));
    m_db = m_dir.filePath(QStringLiteral("runs.sqlite"));
    Store store(m_db.toStdString());
    for (int seed = 1; seed <= 3; ++seed) {
      m_seeds.push_back(addRun(store, "tiny-lr=0.003-seed=" + std::to_string(seed), 0.003, seed));
    }
    m_other = addRun(store, "tiny-lr=0.001-seed=1", 0.001, 1);
  }

  static qint64 addRun(Store& store, const std::string& name, double lr, int seed) {
    NewRun run;
    run.name = name;
    run.task = "mqar";
    run.mixer = "attention";
    run.config_json =
        nlohmann::json{{"name", name}, {"seed", seed}, {"train", {{"learning_rate", lr}}}}.dump();
    run.seed = seed;
    run.status = RunStatus::Finished;
    const int64_t id = store.create_run(run);
    std::vector<MetricPoint> points;
    for (int64_t step = 1; step <= 40; ++step) {
      MetricPoint point;
      point.run_id = id;
      point.key = "train/loss";
      point.step = step;
      point.value = 3.0 / static_cast<double>(step) + 0.1 * seed;
      point.wall_time = 0.1 * static_cast<double>(step);
      points.push_back(point);
    }
    store.append_metrics(points);
    return id;
  }

  static bool waitFor(MainWindow& window, const std::function<bool()>& done, int seconds) {
    for (int i = 0; i < seconds * 10 && !done(); ++i) {
      window.pollNow();
      QTest::qWait(100);
    }
    return done();
  }

  QTemporaryDir m_dir;
  std::unique_ptr<Settings> m_settings;
  QString m_db;
  std::vector<qint64> m_seeds;
  qint64 m_other = 0;
};

TEST_F(CurvesWindowTest, LegendClicksSelectTheRunsOfASeedGroup) {
  MainWindow window(*m_settings);
  window.setWorkerAutostart(false);
  window.openDatabase(m_db);
  window.resize(1400, 800);
  window.show();
  window.pollNow();
  ASSERT_TRUE(waitFor(
      window, [&] { return window.runModel()->rowCount() == 4; }, 10));
  window.tabs()->setCurrentWidget(window.curvePlot());
  CurvePlot* curves = window.curvePlot();
  // The window opens with the newest run selected; with nothing selected the tab says what to do.
  window.runView()->tableView()->clearSelection();
  ASSERT_TRUE(waitFor(
      window, [&] { return !curves->emptyMessage().isEmpty(); }, 10))
      << "nothing selected";

  window.runView()->tableView()->selectAll();
  ASSERT_TRUE(waitFor(
      window, [&] { return curves->graphCount() == 4; }, 10));
  curves->setGroupSeeds(true);
  ASSERT_EQ(curves->drawnGroups().size(), 1u);
  EXPECT_EQ(curves->drawnGroups().front().label, QStringLiteral("tiny-lr=0.003 (n=3)"));
  EXPECT_EQ(curves->graphCount(), 1);

  QCustomPlot* plot = curves->customPlot();
  plot->replot(QCustomPlot::rpImmediateRefresh);
  QCPAbstractLegendItem* groupEntry = nullptr;
  QCPAbstractLegendItem* otherEntry = nullptr;
  for (int i = 0; i < plot->legend->itemCount(); ++i) {
    auto* entry = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i));
    (entry->plottable()->name().contains(QStringLiteral("(n=3)")) ? groupEntry : otherEntry) = entry;
  }
  ASSERT_NE(groupEntry, nullptr);
  ASSERT_NE(otherEntry, nullptr);

  QTest::mouseClick(plot, Qt::LeftButton, Qt::NoModifier, otherEntry->rect().center());
  EXPECT_EQ(window.runView()->selectedRunIds(), QList<qint64>{m_other});
  ASSERT_TRUE(waitFor(
      window, [&] { return curves->runs() == QVector<qint64>{m_other}; }, 5));

  // Back to every run, then the group's entry selects its three members.
  window.runView()->tableView()->selectAll();
  ASSERT_TRUE(waitFor(
      window, [&] { return curves->drawnGroups().size() == 1; }, 10));
  plot->replot(QCustomPlot::rpImmediateRefresh);
  for (int i = 0; i < plot->legend->itemCount(); ++i) {
    auto* entry = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i));
    if (entry->plottable()->name().contains(QStringLiteral("(n=3)"))) {
      QTest::mouseClick(plot, Qt::LeftButton, Qt::NoModifier, entry->rect().center());
    }
  }
  QList<qint64> selected = window.runView()->selectedRunIds();
  std::sort(selected.begin(), selected.end());
  EXPECT_EQ(selected, (QList<qint64>{m_seeds[0], m_seeds[1], m_seeds[2]}));
}

}  // namespace
}  // namespace zoolab
