// The run database: runs, statuses, metrics, summaries and checkpoints.

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "engine/store/records.h"
#include "engine/store/store.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab::store_test {
namespace {

TEST(RunStatusTest, StringsRoundTripAndUnknownIsRejected) {
  const std::vector<RunStatus> all = {RunStatus::Queued,  RunStatus::Running,   RunStatus::Finished,
                                      RunStatus::Failed,  RunStatus::Cancelled, RunStatus::Interrupted,
                                      RunStatus::Diverged};
  std::set<std::string> names;
  for (RunStatus status : all) {
    names.insert(to_string(status));
    EXPECT_EQ(run_status_from_string(to_string(status)), status);
  }
  EXPECT_EQ(names.size(), all.size());
  EXPECT_STREQ(to_string(RunStatus::Interrupted), "interrupted");
  try {
    run_status_from_string("exploded");
    FAIL() << "an unknown status was accepted";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("exploded"), std::string::npos) << message;
    EXPECT_NE(message.find("diverged"), std::string::npos) << message;
  }
  EXPECT_FALSE(is_terminal(RunStatus::Queued));
  EXPECT_FALSE(is_terminal(RunStatus::Running));
  for (RunStatus status : {RunStatus::Finished, RunStatus::Failed, RunStatus::Cancelled,
                           RunStatus::Interrupted, RunStatus::Diverged}) {
    EXPECT_TRUE(is_terminal(status)) << to_string(status);
  }
}

TEST_F(StoreTest, CreatesFolderAndFindsRunsByIdAndName) {
  const std::string path = (m_dir / "nested" / "deeper" / "runs.sqlite").string();
  Store store(path);
  EXPECT_TRUE(fs::exists(path));

  const int64_t first = store.create_run(make_run("baseline"));
  const int64_t other = store.create_run(make_run("hyena"));
  const int64_t second = store.create_run(make_run("baseline"));
  EXPECT_LT(first, other);
  EXPECT_LT(other, second);

  const auto by_id = store.find_run(first);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->id, first);
  EXPECT_EQ(by_id->name, "baseline");
  EXPECT_EQ(by_id->task, "mqar");
  EXPECT_EQ(by_id->mixer, "attention");
  EXPECT_EQ(by_id->config_json, R"({"seed": 7})");
  EXPECT_EQ(by_id->seed, 7);
  EXPECT_EQ(by_id->status, RunStatus::Queued);
  EXPECT_TRUE(std::regex_match(by_id->created_at, kIso8601)) << by_id->created_at;
  EXPECT_FALSE(by_id->sweep_id.has_value());

  const auto by_id_text = store.find_run(std::to_string(other));
  ASSERT_TRUE(by_id_text.has_value());
  EXPECT_EQ(by_id_text->name, "hyena");

  const auto by_name = store.find_run(std::string("baseline"));
  ASSERT_TRUE(by_name.has_value());
  EXPECT_EQ(by_name->id, second) << "the newest run of a name wins";

  EXPECT_FALSE(store.find_run(std::string("missing")).has_value());
  EXPECT_FALSE(store.find_run(int64_t{9999}).has_value());

  // A digit-only name is found by name when no run has that id.
  const int64_t numeric = store.create_run(make_run("4242"));
  const auto numeric_found = store.find_run(std::string("4242"));
  ASSERT_TRUE(numeric_found.has_value());
  EXPECT_EQ(numeric_found->id, numeric);

  const auto runs = store.list_runs();
  ASSERT_EQ(runs.size(), 4u);
  EXPECT_EQ(runs[0].id, numeric);
  EXPECT_EQ(runs[1].id, second);
  EXPECT_EQ(runs[2].id, other);
  EXPECT_EQ(runs[3].id, first);
}

TEST_F(StoreTest, StatusTransitionsSetTimestamps) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  auto record = store.find_run(run);
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->started_at.empty());
  EXPECT_TRUE(record->finished_at.empty());
  EXPECT_TRUE(record->heartbeat_at.empty());

  store.mark_started(run, 4321, "cuda:0");
  record = store.find_run(run);
  EXPECT_EQ(record->status, RunStatus::Running);
  EXPECT_EQ(record->pid, 4321);
  EXPECT_EQ(record->device, "cuda:0");
  EXPECT_TRUE(std::regex_match(record->started_at, kIso8601)) << record->started_at;
  EXPECT_TRUE(std::regex_match(record->heartbeat_at, kIso8601)) << record->heartbeat_at;
  EXPECT_TRUE(record->finished_at.empty());
  const std::string started = record->started_at;

  store.set_model_info(run, 123456, 2048);
  store.set_progress(run, 3, 300);
  record = store.find_run(run);
  EXPECT_EQ(record->num_parameters, 123456);
  EXPECT_EQ(record->state_size, 2048);
  EXPECT_EQ(record->epochs, 3);
  EXPECT_EQ(record->steps, 300);

  store.set_status(run, RunStatus::Failed, "out of memory");
  record = store.find_run(run);
  EXPECT_EQ(record->status, RunStatus::Failed);
  EXPECT_EQ(record->error, "out of memory");
  EXPECT_TRUE(std::regex_match(record->finished_at, kIso8601)) << record->finished_at;

  // Resuming keeps the first start time and clears the end.
  store.set_status(run, RunStatus::Running);
  record = store.find_run(run);
  EXPECT_EQ(record->status, RunStatus::Running);
  EXPECT_EQ(record->started_at, started);
  EXPECT_TRUE(record->finished_at.empty());
  EXPECT_TRUE(record->error.empty());

  store.set_status(run, RunStatus::Finished);
  EXPECT_FALSE(store.find_run(run)->finished_at.empty());

  // A queued run that goes straight to running through set_status gets a start time too.
  const int64_t queued = store.create_run(make_run("q"));
  store.set_status(queued, RunStatus::Running);
  EXPECT_TRUE(std::regex_match(store.find_run(queued)->started_at, kIso8601));

  EXPECT_THROW(store.set_status(9999, RunStatus::Finished), StoreError);
  EXPECT_THROW(store.set_progress(9999, 1, 1), StoreError);
  EXPECT_THROW(store.mark_started(9999, 1, "cpu"), StoreError);
}

TEST_F(StoreTest, AppendMetricsMaintainsSummary) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  store.append_metrics({point(run, "train/loss", 1, 2.0), point(run, "valid/accuracy", 1, 0.2),
                        point(run, "train/loss", 2, 0.5)});
  // A second batch merges into the stored summary; a late point with an older step is not "last".
  store.append_metrics({point(run, "valid/accuracy", 2, 0.9), point(run, "train/loss", 3, 1.0),
                        point(run, "valid/accuracy", 3, 0.7), point(run, "train/loss", 2, 3.0)});

  const auto loss_points = store.metrics(run, "train/loss");
  ASSERT_EQ(loss_points.size(), 4u);
  EXPECT_EQ(loss_points[0].step, 1);
  EXPECT_DOUBLE_EQ(loss_points[0].value, 2.0);
  EXPECT_EQ(loss_points[3].step, 2);
  EXPECT_DOUBLE_EQ(loss_points[3].value, 3.0);
  EXPECT_DOUBLE_EQ(loss_points[3].wall_time, 1.0);
  for (size_t i = 1; i < loss_points.size(); ++i) {
    EXPECT_LT(loss_points[i - 1].id, loss_points[i].id);
  }
  EXPECT_EQ(store.metrics(run).size(), 7u);

  const auto summaries = store.summary(run);
  ASSERT_EQ(summaries.size(), 2u);
  const MetricSummary* loss = find_summary(summaries, "train/loss");
  ASSERT_NE(loss, nullptr);
  EXPECT_DOUBLE_EQ(loss->last, 1.0);
  EXPECT_EQ(loss->last_step, 3);
  EXPECT_DOUBLE_EQ(loss->min, 0.5);
  EXPECT_DOUBLE_EQ(loss->max, 3.0);
  EXPECT_DOUBLE_EQ(loss->best, 0.5);
  EXPECT_EQ(loss->best_step, 2);

  const MetricSummary* accuracy = find_summary(summaries, "valid/accuracy");
  ASSERT_NE(accuracy, nullptr);
  EXPECT_DOUBLE_EQ(accuracy->last, 0.7);
  EXPECT_EQ(accuracy->last_step, 3);
  EXPECT_DOUBLE_EQ(accuracy->min, 0.2);
  EXPECT_DOUBLE_EQ(accuracy->max, 0.9);
  EXPECT_DOUBLE_EQ(accuracy->best, 0.9);
  EXPECT_EQ(accuracy->best_step, 2);

  // Same step twice: the later point is the current value.
  store.append_metrics({point(run, "valid/accuracy", 3, 0.75)});
  const auto updated = store.summary(run);
  accuracy = find_summary(updated, "valid/accuracy");
  ASSERT_NE(accuracy, nullptr);
  EXPECT_DOUBLE_EQ(accuracy->last, 0.75);
}

TEST_F(StoreTest, AppendIsAtomicAndNanSurvives) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  // The second point names a run that does not exist: the whole batch must be rolled back.
  EXPECT_THROW(
      store.append_metrics({point(run, "train/loss", 1, 1.0), point(run + 100, "train/loss", 1, 1.0)}),
      StoreError);
  EXPECT_TRUE(store.metrics(run).empty());
  EXPECT_TRUE(store.summary(run).empty());

  const double nan = std::numeric_limits<double>::quiet_NaN();
  store.append_metrics({point(run, "train/loss", 1, 1.0), point(run, "train/loss", 2, nan)});
  const auto points = store.metrics(run, "train/loss");
  ASSERT_EQ(points.size(), 2u);
  EXPECT_TRUE(std::isnan(points[1].value));
  const auto summaries = store.summary(run);
  const MetricSummary* loss = find_summary(summaries, "train/loss");
  ASSERT_NE(loss, nullptr);
  EXPECT_TRUE(std::isnan(loss->last));
  EXPECT_EQ(loss->last_step, 2);
  EXPECT_DOUBLE_EQ(loss->min, 1.0);
  EXPECT_DOUBLE_EQ(loss->best, 1.0);
  EXPECT_EQ(loss->best_step, 1);
}

TEST_F(StoreTest, MetricsSinceReturnsOnlyNewRowsAcrossRuns) {
  Store store(db_path());
  const int64_t a = store.create_run(make_run("a"));
  const int64_t b = store.create_run(make_run("b"));
  store.append_metrics({point(a, "train/loss", 1, 1.0), point(b, "train/loss", 1, 2.0)});
  auto seen = store.metrics_since(0);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].run_id, a);
  EXPECT_EQ(seen[1].run_id, b);
  const int64_t cursor = seen.back().id;

  EXPECT_TRUE(store.metrics_since(cursor).empty());
  store.append_metrics({point(b, "train/loss", 2, 1.5), point(a, "valid/accuracy", 1, 0.3)});
  seen = store.metrics_since(cursor);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_GT(seen[0].id, cursor);
  EXPECT_LT(seen[0].id, seen[1].id);
  EXPECT_EQ(seen[0].run_id, b);
  EXPECT_EQ(seen[0].step, 2);
  EXPECT_EQ(seen[1].run_id, a);
  EXPECT_EQ(seen[1].key, "valid/accuracy");
}

TEST_F(StoreTest, MetricsAfterReturnsOneRunsNewRows) {
  Store store(db_path());
  const int64_t a = store.create_run(make_run("a"));
  const int64_t b = store.create_run(make_run("b"));
  store.append_metrics({point(a, "train/loss", 1, 1.0), point(b, "train/loss", 1, 2.0)});
  const auto first = store.metrics_after(a, 0);
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].run_id, a);

  store.append_metrics(
      {point(b, "train/loss", 2, 1.5), point(a, "train/loss", 2, 0.5), point(a, "valid/accuracy", 2, 0.3)});
  const auto fresh = store.metrics_after(a, first[0].id);
  ASSERT_EQ(fresh.size(), 2u);
  EXPECT_EQ(fresh[0].step, 2);
  EXPECT_EQ(fresh[1].key, "valid/accuracy");
  EXPECT_LT(fresh[0].id, fresh[1].id);
  EXPECT_TRUE(store.metrics_after(a, fresh[1].id).empty());
  EXPECT_EQ(store.metrics_after(b, 0).size(), 2u);
}

TEST_F(StoreTest, AllSummariesEqualsEachRunsSummary) {
  Store store(db_path());
  const int64_t a = store.create_run(make_run("a"));
  const int64_t b = store.create_run(make_run("b"));
  const int64_t quiet = store.create_run(make_run("no metrics"));
  store.append_metrics({point(a, "train/loss", 1, 1.0), point(b, "valid/accuracy", 1, 0.25),
                        point(a, "valid/accuracy", 1, 0.5), point(a, "train/loss", 2, 0.5)});
  const auto all = store.all_summaries();
  EXPECT_EQ(all.size(), 2u);
  EXPECT_EQ(all.count(quiet), 0u);
  for (const int64_t run : {a, b}) {
    const auto one = store.summary(run);
    const auto& together = all.at(run);
    ASSERT_EQ(together.size(), one.size());
    for (size_t i = 0; i < one.size(); ++i) {
      EXPECT_EQ(together[i].key, one[i].key);
      EXPECT_DOUBLE_EQ(together[i].last, one[i].last);
      EXPECT_DOUBLE_EQ(together[i].best, one[i].best);
      EXPECT_EQ(together[i].best_step, one[i].best_step);
    }
  }
}

TEST_F(StoreTest, TruncateMetricsAfterRebuildsSummary) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  const int64_t other = store.create_run(make_run("other"));
  store.append_metrics({point(run, "train/loss", 1, 3.0), point(run, "train/loss", 2, 2.0),
                        point(run, "train/loss", 3, 2.5), point(run, "train/loss", 4, 0.1),
                        point(run, "train/loss", 5, 0.2), point(run, "valid/accuracy", 5, 0.99),
                        point(other, "train/loss", 9, 4.0)});
  const auto before = store.summary(run);
  ASSERT_DOUBLE_EQ(find_summary(before, "train/loss")->best, 0.1);

  store.truncate_metrics_after(run, 3);
  const auto points = store.metrics(run);
  ASSERT_EQ(points.size(), 3u);
  for (const auto& p : points) {
    EXPECT_LE(p.step, 3);
  }
  const auto summaries = store.summary(run);
  ASSERT_EQ(summaries.size(), 1u) << "a key with no remaining points has no summary";
  const MetricSummary& loss = summaries[0];
  EXPECT_EQ(loss.key, "train/loss");
  EXPECT_DOUBLE_EQ(loss.last, 2.5);
  EXPECT_EQ(loss.last_step, 3);
  EXPECT_DOUBLE_EQ(loss.min, 2.0);
  EXPECT_DOUBLE_EQ(loss.max, 3.0);
  EXPECT_DOUBLE_EQ(loss.best, 2.0);
  EXPECT_EQ(loss.best_step, 2);

  // The other run is untouched.
  EXPECT_EQ(store.metrics(other).size(), 1u);
  const auto others = store.summary(other);
  EXPECT_DOUBLE_EQ(find_summary(others, "train/loss")->last, 4.0);

  // Appending after a truncation continues from the rebuilt summary.
  store.append_metrics({point(run, "train/loss", 4, 1.0)});
  const auto after = store.summary(run);
  const MetricSummary* resumed = find_summary(after, "train/loss");
  ASSERT_NE(resumed, nullptr);
  EXPECT_DOUBLE_EQ(resumed->best, 1.0);
  EXPECT_EQ(resumed->best_step, 4);
  EXPECT_EQ(resumed->last_step, 4);
}

TEST_F(StoreTest, LatestCheckpointIsHighestStep) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  const int64_t other = store.create_run(make_run("other"));
  EXPECT_FALSE(store.latest_checkpoint(run).has_value());

  const fs::path folder = store.run_folder(run);
  store.add_checkpoint(run, 1, 100, (folder / "a").string());
  store.add_checkpoint(run, 3, 300, (folder / "c").string());
  store.add_checkpoint(run, 2, 200, (folder / "b").string());
  store.add_checkpoint(other, 9, 900, (fs::path(store.run_folder(other)) / "other").string());
  auto latest = store.latest_checkpoint(run);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->step, 300);
  EXPECT_EQ(latest->epoch, 3);
  EXPECT_EQ(latest->path, (folder / "c").string());
  EXPECT_EQ(latest->recorded_path, "runs/" + std::to_string(run) + "/c");
  EXPECT_EQ(latest->run_id, run);
  EXPECT_TRUE(std::regex_match(latest->created_at, kIso8601));

  // Same step again (a rewrite): the newer record wins.
  const int64_t rewrite = store.add_checkpoint(run, 3, 300, (folder / "c2").string());
  latest = store.latest_checkpoint(run);
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->id, rewrite);
  EXPECT_EQ(latest->path, (folder / "c2").string());

  EXPECT_THROW(store.add_checkpoint(9999, 1, 1, (fs::path(store.run_folder(9999)) / "x").string()),
               StoreError);
}

TEST_F(StoreTest, ReapDeadRunsInterruptsOnlyRunsWithoutAProcess) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);

  Store store(db_path());
  const int64_t dead = store.create_run(make_run("dead"));
  const int64_t alive = store.create_run(make_run("alive"));
  const int64_t no_pid = store.create_run(make_run("no-pid"));
  const int64_t finished = store.create_run(make_run("finished"));
  store.mark_started(dead, child, "cpu");
  store.mark_started(alive, getpid(), "cpu");
  store.mark_started(no_pid, 0, "cpu");
  store.mark_started(finished, child, "cpu");
  store.set_status(finished, RunStatus::Finished);

  const auto reaped = store.reap_dead_runs();
  EXPECT_EQ(std::set<int64_t>(reaped.begin(), reaped.end()), (std::set<int64_t>{dead, no_pid}));

  const auto dead_record = store.find_run(dead);
  EXPECT_EQ(dead_record->status, RunStatus::Interrupted);
  EXPECT_NE(dead_record->error.find("trainer process " + std::to_string(child) + " ended"), std::string::npos)
      << dead_record->error;
  EXPECT_FALSE(dead_record->finished_at.empty());
  EXPECT_EQ(store.find_run(alive)->status, RunStatus::Running);
  EXPECT_EQ(store.find_run(no_pid)->status, RunStatus::Interrupted);
  EXPECT_EQ(store.find_run(finished)->status, RunStatus::Finished);
  EXPECT_TRUE(store.reap_dead_runs().empty());
}
}  // namespace
}  // namespace zoolab::store_test
