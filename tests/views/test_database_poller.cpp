// DatabasePoller against a real temporary database written through zoolab::Store, as a trainer would.

#include <gtest/gtest.h>

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>

#include "engine/store/store.h"
#include "views/database_poller.h"
#include "views/run_table_model.h"

namespace zoolab {
namespace {

using Runs = std::vector<RunRecord>;
using Summaries = std::vector<std::vector<MetricSummary>>;

MetricPoint point(int64_t run, const std::string& key, int64_t step, double value) {
  MetricPoint p;
  p.run_id = run;
  p.key = key;
  p.step = step;
  p.value = value;
  p.epoch = step / 10;
  return p;
}

class DatabasePollerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(m_dir.isValid());
    m_path = m_dir.filePath("runs.sqlite");
    m_store = std::make_unique<Store>(m_path.toStdString());
  }

  int64_t createRun(const std::string& name) {
    NewRun run;
    run.name = name;
    run.task = "mqar";
    run.mixer = "attention";
    run.config_json = "{}";
    return m_store->create_run(run);
  }

  QTemporaryDir m_dir;
  QString m_path;
  std::unique_ptr<Store> m_store;  // the writer, like a trainer process
};

TEST_F(DatabasePollerTest, NamesTheSweepsOfTheRunsBeforeListingThem) {
  createRun("outside");
  DatabasePoller poller(m_path);
  QSignalSpy names(&poller, &DatabasePoller::sweepNamesChanged);
  poller.poll();
  EXPECT_EQ(names.count(), 0);  // no run of a sweep: nothing to name

  const int64_t sweep = m_store->create_sweep("fig2", "{}");
  NewRun run;
  run.name = "in-sweep";
  run.task = "mqar";
  run.mixer = "attention";
  run.config_json = "{}";
  run.sweep_id = sweep;
  m_store->create_run(run);
  poller.poll();
  ASSERT_EQ(names.count(), 1);
  const auto named = names.at(0).at(0).value<QMap<qint64, QString>>();
  EXPECT_EQ(named.value(sweep), "fig2");
  poller.poll();
  EXPECT_EQ(names.count(), 1);  // known already: sweeps are not read again
}

TEST_F(DatabasePollerTest, EmitsRunsWithTheirBestValidAccuracy) {
  const int64_t id = createRun("attention-d64");
  m_store->append_metrics({point(id, "valid/accuracy", 10, 0.5), point(id, "valid/accuracy", 20, 0.97),
                           point(id, "valid/accuracy", 30, 0.93), point(id, "valid/loss", 30, 0.25)});

  DatabasePoller poller(m_path);
  QSignalSpy changed(&poller, &DatabasePoller::runsChanged);
  QSignalSpy errors(&poller, &DatabasePoller::errorOccurred);
  poller.poll();

  ASSERT_EQ(changed.count(), 1);
  EXPECT_EQ(errors.count(), 0);
  const auto runs = changed.at(0).at(0).value<Runs>();
  const auto summaries = changed.at(0).at(1).value<Summaries>();
  ASSERT_EQ(runs.size(), 1u);
  ASSERT_EQ(summaries.size(), 1u);
  EXPECT_EQ(runs[0].id, id);
  EXPECT_EQ(runs[0].name, "attention-d64");

  // Through the model, as the window shows it: the best accuracy, not the last.
  RunTableModel model;
  model.setRuns(runs, summaries);
  EXPECT_EQ(model.index(0, RunTableModel::ColumnValidAccuracy).data().toString(), "0.970");
  EXPECT_DOUBLE_EQ(
      model.index(0, RunTableModel::ColumnValidAccuracy).data(RunTableModel::SortRole).toDouble(), 0.97);
  EXPECT_EQ(model.index(0, RunTableModel::ColumnValidLoss).data().toString(), "0.2500");
}

TEST_F(DatabasePollerTest, AFirstPollOfManyRunsReadsTheSameSummaries) {
  // More runs than kSummariesPerRunLimit: the first poll reads every summary in one query.
  const size_t count = DatabasePoller::kSummariesPerRunLimit + 36;
  std::vector<MetricPoint> points;
  for (size_t i = 0; i < count; ++i) {
    const int64_t id = createRun("run-" + std::to_string(i));
    if (i % 3 != 0) {  // some runs have no metrics yet
      points.push_back(point(id, "valid/accuracy", 10, 0.01 * static_cast<double>(i)));
    }
  }
  m_store->append_metrics(points);

  DatabasePoller poller(m_path);
  QSignalSpy changed(&poller, &DatabasePoller::runsChanged);
  poller.poll();
  ASSERT_EQ(changed.count(), 1);
  const auto runs = changed.at(0).at(0).value<Runs>();
  const auto summaries = changed.at(0).at(1).value<Summaries>();
  ASSERT_EQ(runs.size(), count);
  ASSERT_EQ(summaries.size(), count);
  for (size_t i = 0; i < count; ++i) {
    const auto expected = m_store->summary(runs[i].id);
    ASSERT_EQ(summaries[i].size(), expected.size()) << runs[i].name;
    for (size_t k = 0; k < expected.size(); ++k) {
      EXPECT_EQ(summaries[i][k].key, expected[k].key);
      EXPECT_DOUBLE_EQ(summaries[i][k].best, expected[k].best);
    }
  }
}

TEST_F(DatabasePollerTest, EmitsOnlyWhenSomethingChanged) {
  const int64_t id = createRun("attention-d64");
  DatabasePoller poller(m_path);
  QSignalSpy changed(&poller, &DatabasePoller::runsChanged);

  poller.poll();
  EXPECT_EQ(changed.count(), 1);
  poller.poll();
  poller.poll();
  EXPECT_EQ(changed.count(), 1);

  m_store->set_progress(id, 1, 50);
  poller.poll();
  ASSERT_EQ(changed.count(), 2);
  const auto runs = changed.at(1).at(0).value<Runs>();
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].epochs, 1);
  EXPECT_EQ(runs[0].steps, 50);

  // A new metric alone (no progress call) still reaches the table while the run is not finished.
  m_store->append_metrics({point(id, "valid/accuracy", 50, 0.4)});
  poller.poll();
  EXPECT_EQ(changed.count(), 3);

  createRun("hyena-d64");
  poller.poll();
  ASSERT_EQ(changed.count(), 4);
  EXPECT_EQ(changed.at(3).at(0).value<Runs>().size(), 2u);

  m_store->set_status(id, RunStatus::Finished);
  poller.poll();
  EXPECT_EQ(changed.count(), 5);
  poller.poll();
  EXPECT_EQ(changed.count(), 5);
}

TEST_F(DatabasePollerTest, AnEmptyDatabaseEmitsNoRuns) {
  DatabasePoller poller(m_path);
  QSignalSpy changed(&poller, &DatabasePoller::runsChanged);
  poller.poll();
  ASSERT_EQ(changed.count(), 1);
  EXPECT_TRUE(changed.at(0).at(0).value<Runs>().empty());
}

TEST_F(DatabasePollerTest, PollsOnItsTimer) {
  DatabasePoller poller(m_path);
  EXPECT_EQ(poller.interval(), DatabasePoller::kDefaultIntervalMs);
  poller.setInterval(20);
  QSignalSpy changed(&poller, &DatabasePoller::runsChanged);
  poller.start();
  EXPECT_TRUE(poller.isActive());
  EXPECT_EQ(changed.count(), 1);  // start() polls at once

  createRun("attention-d64");
  ASSERT_TRUE(changed.wait(2000));
  EXPECT_EQ(changed.last().at(0).value<Runs>().size(), 1u);
  poller.stop();
  EXPECT_FALSE(poller.isActive());
}

TEST_F(DatabasePollerTest, ReportsAnUnreadableFileOnceAndDoesNotCrash) {
  const QString garbage = m_dir.filePath("not-a-database.sqlite");
  QFile file(garbage);
  ASSERT_TRUE(file.open(QIODevice::WriteOnly));
  file.write(QByteArray(4096, 'x'));
  file.close();

  DatabasePoller poller(garbage);
  QSignalSpy changed(&poller, &DatabasePoller::runsChanged);
  QSignalSpy errors(&poller, &DatabasePoller::errorOccurred);
  poller.start();
  EXPECT_EQ(changed.count(), 0);
  ASSERT_EQ(errors.count(), 1);
  EXPECT_FALSE(errors.at(0).at(0).toString().isEmpty());
  EXPECT_EQ(errors.at(0).at(0).toString(), poller.lastError());
  // Retrying would fail the same way: the timer is off, and a repeated failure is not re-announced.
  EXPECT_FALSE(poller.isActive());
  poller.poll();
  EXPECT_EQ(errors.count(), 1);
}

}  // namespace
}  // namespace zoolab
