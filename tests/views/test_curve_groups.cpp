// Seed groups on the curves tab: the mean and band of runs that differ only in their seeds, computed from
// a real database's runs (their stored configurations give the groups), and drawn as one legend entry.

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include <QCheckBox>
#include <QComboBox>
#include <QSignalSpy>
#include <QTest>

#include <nlohmann/json.hpp>

#include "engine/analysis/seed_group.h"
#include "engine/store/store.h"
#include "tests/support/temp_dir.h"
#include "tests/views/run_fixtures.h"
#include "views/curve_groups.h"
#include "views/curve_plot.h"
#include "views/qcustomplot_include.h"

namespace zoolab {
namespace {

CurveSeries seriesOf(const std::vector<int64_t>& steps, const std::vector<double>& values) {
  CurveSeries series;
  series.steps = steps;
  series.values = values;
  series.epochs.assign(steps.size(), 0);
  series.wallTimes.assign(steps.size(), 0.0);
  return series;
}

CurveGroupMember memberOf(const CurveSeries& series) {
  CurveGroupMember member;
  member.series = &series;
  member.values = series.values;
  for (int64_t step : series.steps) {
    member.xs.push_back(static_cast<double>(step));
  }
  return member;
}

TEST(CurveGroups, MeanAndBandAtTheStepsEveryMemberLogged) {
  const CurveSeries a = seriesOf({1, 2, 3, 4}, {1.0, 2.0, 3.0, 4.0});
  const CurveSeries b = seriesOf({1, 2, 4}, {3.0, 4.0, 8.0});  // no step 3
  const CurveSeries c =
      seriesOf({1, 2, 2, 4}, {5.0, 9.0, 6.0, 12.0});  // step 2 logged again: the last counts
  const std::vector<CurveGroupMember> members = {memberOf(a), memberOf(b), memberOf(c)};

  const std::vector<CurveGroupPoint> std = curveGroupMean(members, CurveBand::Std);
  ASSERT_EQ(std.size(), 3u);
  EXPECT_EQ(std[0].step, 1);
  EXPECT_EQ(std[1].step, 2);
  EXPECT_EQ(std[2].step, 4);
  EXPECT_DOUBLE_EQ(std[0].spread.mean, 3.0);
  EXPECT_DOUBLE_EQ(std[0].spread.std, 2.0);  // sample std of 1, 3, 5
  EXPECT_DOUBLE_EQ(std[0].low, 1.0);
  EXPECT_DOUBLE_EQ(std[0].high, 5.0);
  EXPECT_DOUBLE_EQ(std[1].spread.mean, 4.0);  // 2, 4, 6
  EXPECT_DOUBLE_EQ(std[2].spread.mean, 8.0);
  EXPECT_EQ(std[2].spread.n, 3);
  EXPECT_DOUBLE_EQ(std[2].x, 4.0);

  const std::vector<CurveGroupPoint> minmax = curveGroupMean(members, CurveBand::MinMax);
  ASSERT_EQ(minmax.size(), 3u);
  EXPECT_DOUBLE_EQ(minmax[2].low, 4.0);
  EXPECT_DOUBLE_EQ(minmax[2].high, 12.0);
  EXPECT_STREQ(curveBandName(CurveBand::MinMax), "minmax");
  EXPECT_STREQ(curveBandName(CurveBand::Std), "std");
}

TEST(CurveGroups, SeedlessNamesDropTheSeedToken) {
  EXPECT_EQ(seedlessName("fig2-lr=0.01-seed=3"), "fig2-lr=0.01");
  EXPECT_EQ(seedlessName("fig2-seed=3-lr=0.01"), "fig2-lr=0.01");
  EXPECT_EQ(seedlessName("fig2-data.seed=4"), "fig2");
  EXPECT_EQ(seedlessName("based-s2"), "based");
  EXPECT_EQ(seedlessName("based_seed12"), "based");
  EXPECT_EQ(seedlessName("Based Seed 1"), "Based");
  EXPECT_EQ(seedlessName("lr=0.1-bs64"), "lr=0.1-bs64") << "only whole tokens";
  EXPECT_EQ(seedlessName("seeds-d64"), "seeds-d64");
  EXPECT_EQ(seedlessName("seed=1"), "seed=1") << "a name that would vanish stays";
}

// A real database: three repetitions of one configuration (seeds 1, 2, 3, named by seed as a sweep names
// them) and one other learning rate; the groups come from seed_group_key of the stored configurations.
class CurveGroupsOnDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    Store store(m_temp.file("runs.sqlite"));
    for (int seed = 1; seed <= 3; ++seed) {
      m_seeds.push_back(addRun(store, "fig2-lr=0.01-seed=" + std::to_string(seed), 0.01, seed));
    }
    m_other = addRun(store, "fig2-lr=0.1-seed=1", 0.1, 1);
    for (const RunRecord& run : store.list_runs()) {
      m_runs.push_back(run);
      m_points.push_back(store.metrics(run.id));
    }
  }

  int64_t addRun(Store& store, const std::string& name, double lr, int seed) {
    const nlohmann::json config = {{"name", name},
                                   {"seed", seed},
                                   {"data", {{"seed", seed + 100}, {"vocab_size", 64}}},
                                   {"train", {{"learning_rate", lr}, {"max_epochs", 3}}}};
    NewRun run;
    run.name = name;
    run.task = "mqar";
    run.mixer = "attention";
    run.config_json = config.dump();
    run.seed = seed;
    const int64_t id = store.create_run(run);
    std::vector<MetricPoint> points;
    for (int64_t step = 1; step <= 30; ++step) {
      MetricPoint point;
      point.run_id = id;
      point.key = "train/loss";
      point.step = step;
      point.value = 2.0 / static_cast<double>(step) + 0.1 * seed + (lr > 0.05 ? 1.0 : 0.0);
      point.epoch = (step - 1) / 10;
      point.wall_time = 0.1 * static_cast<double>(step);
      points.push_back(point);
      if (step % 10 == 0) {
        point.key = "valid/accuracy";
        point.value = 0.5 + 0.01 * seed + 0.001 * static_cast<double>(step);
        points.push_back(point);
      }
    }
    store.append_metrics(points);
    return id;
  }

  // Feeds the view as the window does: names, groups from the stored configurations, histories.
  void feed(CurvePlot& view) const {
    for (size_t i = 0; i < m_runs.size(); ++i) {
      const RunRecord& run = m_runs[i];
      view.setRunName(run.id, QString::fromStdString(run.name));
      view.setRunGroup(run.id,
                       QString::fromStdString(seed_group_key(nlohmann::json::parse(run.config_json))));
      view.setRunHistory(run.id, m_points[i]);
    }
  }

  test_support::TempDir m_temp{"zoolab-curve-groups"};
  std::vector<int64_t> m_seeds;
  int64_t m_other = 0;
  std::vector<RunRecord> m_runs;
  std::vector<std::vector<MetricPoint>> m_points;
};

TEST_F(CurveGroupsOnDatabase, GroupSeedsDrawsOneMeanWithABand) {
  CurvePlot view;
  feed(view);
  view.setRuns({m_seeds[0], m_seeds[1], m_seeds[2], m_other});
  view.setSmoothing(0.0);
  EXPECT_EQ(view.graphCount(), 4);
  EXPECT_TRUE(view.drawnGroups().empty());

  auto* check = view.findChild<QCheckBox*>(QStringLiteral("groupSeedsCheck"));
  ASSERT_NE(check, nullptr);
  check->setChecked(true);  // as a click does
  EXPECT_TRUE(view.groupSeeds());
  EXPECT_EQ(view.graphCount(), 1) << "only the other learning rate is drawn on its own";
  EXPECT_TRUE(view.plottedPoints(m_seeds[0], false).isEmpty());
  ASSERT_EQ(view.drawnGroups().size(), 1u);
  const CurvePlot::DrawnGroup& group = view.drawnGroups().front();
  EXPECT_EQ(group.label, QStringLiteral("fig2-lr=0.01 (n=3)"));
  EXPECT_EQ(group.members, (QVector<qint64>{m_seeds[0], m_seeds[1], m_seeds[2]}));
  ASSERT_EQ(group.points.size(), 30u);
  // Step 5: the seeds' losses are 0.4 + 0.1, 0.2, 0.3.
  EXPECT_EQ(group.points[4].step, 5);
  EXPECT_NEAR(group.points[4].spread.mean, 0.6, 1e-12);
  EXPECT_NEAR(group.points[4].low, 0.5, 1e-12);   // mean - std (0.1)
  EXPECT_NEAR(group.points[4].high, 0.7, 1e-12);  // mean + std

  // One legend entry for the group, one for the other run; the band fills between two unnamed graphs.
  QCustomPlot* plot = view.customPlot();
  ASSERT_EQ(plot->legend->itemCount(), 2);
  QStringList names;
  for (int i = 0; i < plot->legend->itemCount(); ++i) {
    names << qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i))->plottable()->name();
  }
  // In the explorer's order, the group where its first member is.
  EXPECT_EQ(names, (QStringList{QStringLiteral("fig2-lr=0.01 (n=3)"), QStringLiteral("fig2-lr=0.1-seed=1")}));
  int filled = 0;
  for (int i = 0; i < plot->graphCount(); ++i) {
    filled += plot->graph(i)->channelFillGraph() != nullptr ? 1 : 0;
  }
  EXPECT_EQ(filled, 1);

  // minmax spans the seeds.
  auto* band = view.findChild<QComboBox*>(QStringLiteral("bandCombo"));
  ASSERT_NE(band, nullptr);
  EXPECT_TRUE(band->isEnabled());
  band->setCurrentIndex(band->findText(QStringLiteral("minmax")));
  Q_EMIT band->activated(band->currentIndex());
  EXPECT_EQ(view.band(), CurveBand::MinMax);
  EXPECT_NEAR(view.drawnGroups().front().points[4].low, 0.5, 1e-12);
  EXPECT_NEAR(view.drawnGroups().front().points[4].high, 0.7, 1e-12);
  EXPECT_NEAR(view.drawnGroups().front().points[9].high - view.drawnGroups().front().points[9].low, 0.2,
              1e-12);

  // The export holds the mean (every member behind each point, with its spread) and the band.
  const Figure figure = view.toFigure();
  const FigureSeries* mean = nullptr;
  for (const FigureSeries& series : figure.panels.front().series) {
    mean = series.name == "fig2-lr=0.01 (n=3) (mean)" ? &series : mean;
  }
  ASSERT_NE(mean, nullptr);
  ASSERT_EQ(mean->points.size(), 30u);
  EXPECT_EQ(mean->points[4].run_ids, (std::vector<int64_t>{m_seeds[0], m_seeds[1], m_seeds[2]}));
  ASSERT_TRUE(mean->points[4].spread.has_value());
  EXPECT_EQ(mean->points[4].spread->n, 3);
  EXPECT_EQ(figure.panels.front().series.size(),
            1u + 3u);  // the other run (raw: no smoothing); mean, low, high

  // Off again: every run on its own.
  check->setChecked(false);
  EXPECT_EQ(view.graphCount(), 4);
  EXPECT_TRUE(view.drawnGroups().empty());
  EXPECT_EQ(plot->legend->itemCount(), 4);
  view.setRuns({m_other, m_seeds[2], m_seeds[0]});
  view.customPlot()->replot(QCustomPlot::rpImmediateRefresh);
  names.clear();
  for (int i = 0; i < plot->legend->itemCount(); ++i) {
    names << qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i))->plottable()->name();
  }
  EXPECT_EQ(names, (QStringList{QStringLiteral("fig2-lr=0.1-seed=1"), QStringLiteral("fig2-lr=0.01-seed=3"),
                                QStringLiteral("fig2-lr=0.01-seed=1")}));
}

TEST_F(CurveGroupsOnDatabase, AxesFitTheGroupsOfTheMetricShown) {
  CurvePlot view;
  feed(view);
  view.setGroupSeeds(true);
  view.setRuns({m_seeds[0], m_seeds[1], m_seeds[2]});  // one group, no run on its own
  view.setLogY(false);
  view.fit();
  EXPECT_GT(view.customPlot()->yAxis->range().upper, 2.0) << "the losses start at 2.1 to 2.3";
  view.setMetric(QStringLiteral("valid/accuracy"));
  ASSERT_EQ(view.drawnGroups().size(), 1u);
  ASSERT_EQ(view.drawnGroups().front().points.size(), 3u);
  const QCPRange y = view.customPlot()->yAxis->range();
  EXPECT_LT(y.upper, 0.6) << "fitted to the accuracies, not the losses shown before";
  EXPECT_GT(y.lower, 0.4);
  view.setXAxis(CurvePlot::XAxis::Epoch);
  const QCPRange x = view.customPlot()->xAxis->range();
  EXPECT_LE(x.upper, 3.5);
  EXPECT_GE(x.lower, 0.5);
}

TEST_F(CurveGroupsOnDatabase, HoverOverAGroupShowsItsSpread) {
  CurvePlot view;
  view.resize(900, 500);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  feed(view);
  view.setGroupSeeds(true);
  view.setRuns({m_seeds[0], m_seeds[1], m_seeds[2]});
  view.setSmoothing(0.0);
  view.setLogY(false);
  view.fit();
  QCustomPlot* plot = view.customPlot();
  plot->replot(QCustomPlot::rpImmediateRefresh);
  ASSERT_EQ(view.drawnGroups().size(), 1u);
  const CurveGroupPoint& target = view.drawnGroups().front().points[19];  // step 20
  const QPointF pixel(plot->xAxis->coordToPixel(target.x), plot->yAxis->coordToPixel(target.spread.mean));
  const CurvePlot::HoverPoint hover = view.nearestPoint(pixel);
  ASSERT_TRUE(hover.valid);
  EXPECT_EQ(hover.group, 0);
  EXPECT_EQ(hover.step, 20);
  EXPECT_EQ(hover.epoch, 2);  // stored epoch 1
  const QString text = view.toolTipText(hover);
  EXPECT_TRUE(text.startsWith(QStringLiteral("fig2-lr=0.01 (n=3)\nstep 20"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("of 3 runs"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("std 0.1,"))) << text.toStdString();
  EXPECT_TRUE(text.contains(QStringLiteral("band (std)"))) << text.toStdString();
}

TEST_F(CurveGroupsOnDatabase, ALoneMemberOfAGroupIsDrawnAsItself) {
  CurvePlot view;
  feed(view);
  view.setGroupSeeds(true);
  view.setRuns({m_seeds[1], m_other});
  EXPECT_EQ(view.graphCount(), 2);
  EXPECT_TRUE(view.drawnGroups().empty());
  view.setRuns({m_seeds[1], m_seeds[2], m_other});
  ASSERT_EQ(view.drawnGroups().size(), 1u);
  EXPECT_EQ(view.drawnGroups().front().label, QStringLiteral("fig2-lr=0.01 (n=2)"));
}

TEST_F(CurveGroupsOnDatabase, ClickingALegendEntryNamesItsRuns) {
  CurvePlot view;
  view.resize(900, 500);
  view.show();
  ASSERT_TRUE(QTest::qWaitForWindowExposed(&view));
  feed(view);
  view.setRuns({m_seeds[0], m_seeds[1], m_seeds[2], m_other});
  QSignalSpy clicked(&view, &CurvePlot::legendClicked);
  QCustomPlot* plot = view.customPlot();
  plot->replot(QCustomPlot::rpImmediateRefresh);
  ASSERT_EQ(plot->legend->itemCount(), 4);
  // The legend lies right of the axis rect: it covers no curve.
  EXPECT_GE(plot->legend->outerRect().left(), plot->axisRect()->outerRect().right());
  const QPoint other = plot->legend->item(3)->rect().center();
  QTest::mouseClick(plot, Qt::LeftButton, Qt::NoModifier, other);
  ASSERT_EQ(clicked.count(), 1);
  EXPECT_EQ(clicked.at(0).at(0).value<QList<qint64>>(), QList<qint64>{m_other});

  view.setGroupSeeds(true);
  plot->replot(QCustomPlot::rpImmediateRefresh);
  ASSERT_EQ(plot->legend->itemCount(), 2);
  for (int i = 0; i < plot->legend->itemCount(); ++i) {
    auto* item = qobject_cast<QCPPlottableLegendItem*>(plot->legend->item(i));
    if (item->plottable()->name().contains(QStringLiteral("(n=3)"))) {
      QTest::mouseClick(plot, Qt::LeftButton, Qt::NoModifier, item->rect().center());
    }
  }
  ASSERT_EQ(clicked.count(), 2);
  EXPECT_EQ(clicked.at(1).at(0).value<QList<qint64>>(), (QList<qint64>{m_seeds[0], m_seeds[1], m_seeds[2]}));
}

}  // namespace
}  // namespace zoolab
