// The run database's sweeps (idempotent enqueue, progress) and `db merge`.

#include <fstream>

#include "engine/store/database_merge.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab::store_test {
namespace {

std::vector<NewRun> named_runs(const std::vector<std::string>& names) {
  std::vector<NewRun> runs;
  for (const auto& name : names)
    runs.push_back(make_run(name));
  return runs;
}

TEST_F(StoreTest, SweepRunsAreEnqueuedOnceAndCounted) {
  Store store(db_path());
  const auto first = store.add_sweep_runs("grid", R"({"name":"grid"})", named_runs({"a", "b"}));
  EXPECT_EQ(first.created.size(), 2u);
  EXPECT_EQ(first.already_present, 0);
  // Again with one more point: only the new one is created, in the same sweep.
  const auto second = store.add_sweep_runs("grid", R"({"name":"grid"})", named_runs({"a", "b", "c"}));
  EXPECT_EQ(second.sweep_id, first.sweep_id);
  ASSERT_EQ(second.created.size(), 1u);
  EXPECT_EQ(second.already_present, 2);
  EXPECT_EQ(store.find_run(second.created[0])->name, "c");
  EXPECT_EQ(store.find_run(second.created[0])->sweep_id, first.sweep_id);

  store.set_status(first.created[0], RunStatus::Finished);
  store.set_status(first.created[1], RunStatus::Failed, "boom");
  const auto sweeps = store.list_sweeps();
  ASSERT_EQ(sweeps.size(), 1u);
  EXPECT_EQ(sweeps[0].name, "grid");
  EXPECT_EQ(sweeps[0].total, 3);
  EXPECT_EQ(sweeps[0].finished, 1);
  EXPECT_EQ(sweeps[0].queued, 1);
  EXPECT_EQ(sweeps[0].other, 1);

  // The same name from another sweep file is refused, and nothing is created.
  try {
    store.add_sweep_runs("grid", R"({"name":"grid","other":1})", named_runs({"d"}));
    FAIL() << "a different sweep file under the same name was accepted";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("different sweep file"), std::string::npos) << error.what();
  }
  EXPECT_EQ(store.list_runs().size(), 3u);

  // A reworded description is the same sweep: re-enqueueing adds only the missing points.
  const auto reworded = store.add_sweep_runs("grid", R"({"description":"now in other words","name":"grid"})",
                                             named_runs({"c", "d"}));
  EXPECT_EQ(reworded.sweep_id, first.sweep_id);
  ASSERT_EQ(reworded.created.size(), 1u);
  EXPECT_EQ(reworded.already_present, 1);
}

// A sweep file that appends parts to the stored one has grown: its new points join the same sweep and the
// stored definition becomes the grown one. Changing or dropping a part is another sweep.
TEST_F(StoreTest, ASweepGrownByPartsAddsItsNewPoints) {
  Store store(db_path());
  const std::string one_part = R"({"name":"fig","grid":[["x",[1]]],"parts":[{"base":{"name":"a"}}]})";
  const std::string two_parts =
      R"({"description":"now with b","name":"fig","grid":[["x",[1]]],"parts":[{"base":{"name":"a"}},{"base":{"name":"b"}}]})";
  const auto first = store.add_sweep_runs("fig", one_part, named_runs({"a-1"}));
  const auto grown = store.add_sweep_runs("fig", two_parts, named_runs({"a-1", "b-1"}));
  EXPECT_EQ(grown.sweep_id, first.sweep_id);
  ASSERT_EQ(grown.created.size(), 1u);
  EXPECT_EQ(grown.already_present, 1);
  EXPECT_EQ(store.list_sweeps().at(0).spec_json, two_parts);
  // The old, shorter file is now a different sweep from the stored one, as is a changed part.
  EXPECT_THROW(store.add_sweep_runs("fig", one_part, named_runs({"a-1"})), StoreError);
  const std::string changed =
      R"({"name":"fig","grid":[["x",[1]]],"parts":[{"base":{"name":"z"}},{"base":{"name":"b"}},{"base":{"name":"c"}}]})";
  EXPECT_THROW(store.add_sweep_runs("fig", changed, named_runs({"z-1"})), StoreError);
  EXPECT_EQ(store.list_runs().size(), 2u);
}

TEST_F(StoreTest, RunsGetDistinctUids) {
  Store store(db_path());
  const auto a = store.find_run(store.create_run(make_run("a")));
  const auto b = store.find_run(store.create_run(make_run("b")));
  EXPECT_EQ(a->uid.size(), 32u);
  EXPECT_NE(a->uid, b->uid);
}

class MergeTest : public StoreTest {
 protected:
  std::string path(const std::string& name) const { return (m_dir / name).string(); }
};

TEST_F(MergeTest, ShardsMergeIntoOneSweepWithMetricsAndNoDuplicates) {
  const std::string spec = R"({"name":"grid"})";
  {
    Store a(path("a.sqlite"));
    const auto runs = a.add_sweep_runs("grid", spec, named_runs({"p0", "p2"})).created;
    a.append_metrics({point(runs[0], "valid/accuracy", 10, 0.5), point(runs[0], "valid/accuracy", 20, 0.75)});
    a.set_status(runs[0], RunStatus::Finished);
    a.create_run(make_run("outside-any-sweep"));
  }
  {
    Store b(path("b.sqlite"));
    const auto runs = b.add_sweep_runs("grid", spec, named_runs({"p1", "p3"})).created;
    b.set_status(runs[1], RunStatus::Running);
  }
  Store out(path("out.sqlite"));
  const auto ra = merge_database(out, path("a.sqlite"));
  const auto rb = merge_database(out, path("b.sqlite"));
  EXPECT_EQ(ra.runs_copied, 3);
  EXPECT_EQ(ra.sweeps_created, 1);
  EXPECT_EQ(ra.metrics_copied, 2);
  EXPECT_EQ(rb.runs_copied, 2);
  EXPECT_EQ(rb.sweeps_created, 0);

  const auto sweeps = out.list_sweeps();
  ASSERT_EQ(sweeps.size(), 1u);
  EXPECT_EQ(sweeps[0].total, 4);
  auto names = out.sweep_run_names(sweeps[0].id);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"p0", "p1", "p2", "p3"}));
  const auto p0 = out.find_run("p0");
  ASSERT_TRUE(p0.has_value());
  EXPECT_EQ(p0->status, RunStatus::Finished);
  const auto metrics = out.metrics(p0->id, "valid/accuracy");
  ASSERT_EQ(metrics.size(), 2u);
  EXPECT_DOUBLE_EQ(metrics[1].value, 0.75);
  const auto summary = out.summary(p0->id);
  ASSERT_EQ(summary.size(), 1u);
  EXPECT_DOUBLE_EQ(summary[0].last, 0.75);
  // Nothing trains a run that was running elsewhere: it arrives interrupted, resumable.
  const auto p3 = out.find_run("p3");
  EXPECT_EQ(p3->status, RunStatus::Interrupted);
  EXPECT_EQ(p3->pid, 0);
  EXPECT_NE(p3->error.find("b.sqlite"), std::string::npos) << p3->error;

  // Merging a source again copies nothing.
  const auto again = merge_database(out, path("a.sqlite"));
  EXPECT_EQ(again.runs_copied, 0);
  EXPECT_EQ(again.runs_duplicate, 3);
  EXPECT_EQ(out.list_runs().size(), 5u);
}

TEST_F(MergeTest, TheMoreAdvancedCopyOfASweepPointWins) {
  const std::string spec = R"({"name":"grid"})";
  {
    Store a(path("a.sqlite"));
    a.add_sweep_runs("grid", spec, named_runs({"p0", "p1"}));  // both queued
  }
  {
    Store b(path("b.sqlite"));
    const auto runs = b.add_sweep_runs("grid", spec, named_runs({"p0"})).created;  // p0 trained here
    b.append_metrics({point(runs[0], "valid/accuracy", 5, 0.9)});
    b.set_status(runs[0], RunStatus::Finished);
  }
  Store out(path("out.sqlite"));
  merge_database(out, path("a.sqlite"));
  const auto report = merge_database(out, path("b.sqlite"));
  EXPECT_EQ(report.runs_replaced, 1);
  EXPECT_EQ(out.list_runs().size(), 2u);
  EXPECT_EQ(out.find_run("p0")->status, RunStatus::Finished);
  // And the other way round the finished copy stays.
  Store out2(path("out2.sqlite"));
  merge_database(out2, path("b.sqlite"));
  const auto second = merge_database(out2, path("a.sqlite"));
  EXPECT_EQ(second.runs_replaced, 0);
  EXPECT_EQ(second.runs_duplicate, 1);
  EXPECT_EQ(out2.find_run("p0")->status, RunStatus::Finished);
}

TEST_F(MergeTest, ConflictingSweepsAndBadSourcesAreRefusedWithoutChanges) {
  {
    Store a(path("a.sqlite"));
    a.add_sweep_runs("grid", R"({"v":1})", named_runs({"p0"}));
  }
  {
    Store b(path("b.sqlite"));
    b.add_sweep_runs("grid", R"({"v":2})", named_runs({"p1"}));
  }
  Store out(path("out.sqlite"));
  merge_database(out, path("a.sqlite"));
  try {
    merge_database(out, path("b.sqlite"));
    FAIL() << "two different sweeps of one name were merged";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("\"grid\""), std::string::npos) << error.what();
  }
  EXPECT_EQ(out.list_runs().size(), 1u);
  EXPECT_THROW(merge_database(out, path("missing.sqlite")), StoreError);
  EXPECT_THROW(merge_database(out, path("out.sqlite")), StoreError);
}

TEST_F(MergeTest, CheckpointsAndLogsFollowTheRun) {
  int64_t source_id = 0;
  {
    Store a(path("a.sqlite"));
    source_id = a.create_run(make_run("r"));
    const fs::path checkpoint = fs::path(a.files_dir()) / "runs" / std::to_string(source_id) / "epoch-1.zlck";
    fs::create_directories(checkpoint.parent_path());
    std::ofstream(checkpoint) << "weights";
    a.add_checkpoint(source_id, 1, 10, checkpoint.string());
    fs::create_directories(fs::path(a.files_dir()) / "logs");
    std::ofstream(fs::path(a.files_dir()) / "logs" / ("run-" + std::to_string(source_id) + ".log")) << "log";
  }
  Store out(path("out.sqlite"));
  out.create_run(make_run("already-here"));  // so the copy gets another id
  const auto report = merge_database(out, path("a.sqlite"));
  EXPECT_EQ(report.checkpoints_copied, 1);
  const auto run = out.find_run("r");
  ASSERT_TRUE(run.has_value());
  EXPECT_NE(run->id, source_id);
  const auto checkpoint = out.latest_checkpoint(run->id);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(checkpoint->step, 10);
  EXPECT_EQ(fs::path(checkpoint->path).parent_path(),
            fs::path(out.files_dir()) / "runs" / std::to_string(run->id));
  std::ifstream copied(checkpoint->path);
  std::string text;
  copied >> text;
  EXPECT_EQ(text, "weights");
  EXPECT_TRUE(fs::exists(fs::path(out.files_dir()) / "logs" / ("run-" + std::to_string(run->id) + ".log")));
}

}  // namespace
}  // namespace zoolab::store_test
