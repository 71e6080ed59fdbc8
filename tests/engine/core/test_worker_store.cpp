// The run queue in the database (claims, cancel, requeue, workers), run annotations and deletion, the
// migration from schema version 1, and the worker's child processes
// (docs/architecture.md#how-the-window-starts-a-worker).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "engine/store/migrations.h"
#include "engine/worker/child_process.h"
#include "engine/worker/trainer_process.h"
#include "engine/worker/worker.h"
#include "tests/engine/core/store_test_support.h"

namespace zoolab::store_test {
namespace {

// A pid that existed a moment ago and no longer does.
int64_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) {
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

std::string read_text(const fs::path& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

int wait_status(pid_t pid) {
  for (int i = 0; i < 500; ++i) {
    if (const auto status = poll_child(pid)) {
      return *status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ADD_FAILURE() << "child " << pid << " did not end within 5 s";
  kill(pid, SIGKILL);
  return *poll_child(pid);
}

TEST_F(StoreTest, ClaimTakesQueuedRunsOldestFirstAndMarksThemRunning) {
  Store store(db_path());
  const int64_t first = store.create_run(make_run("first"));
  NewRun done = make_run("done");
  done.status = RunStatus::Finished;
  store.create_run(done);
  const int64_t second = store.create_run(make_run("second"));
  const int64_t worker = store.register_worker(getpid(), 2);

  const auto claimed = store.claim_next_queued_run(worker);
  ASSERT_TRUE(claimed.has_value());
  EXPECT_EQ(claimed->id, first);
  EXPECT_EQ(claimed->status, RunStatus::Running);
  EXPECT_EQ(claimed->pid, getpid()) << "a claimed run carries its worker's pid until the trainer starts";
  EXPECT_FALSE(claimed->started_at.empty());
  EXPECT_EQ(store.claim_next_queued_run(worker)->id, second);
  EXPECT_FALSE(store.claim_next_queued_run(worker).has_value());
  // Alive (the worker's pid): not reaped while its trainer starts.
  EXPECT_TRUE(store.reap_dead_runs().empty());

  EXPECT_THROW(store.claim_next_queued_run(worker + 100), StoreError);
}

TEST_F(StoreTest, ConcurrentClaimsNeverReturnTheSameRun) {
  constexpr int kRuns = 60;
  int64_t worker = 0;
  {
    Store store(db_path());
    for (int i = 0; i < kRuns; ++i) {
      store.create_run(make_run("r" + std::to_string(i)));
    }
    worker = store.register_worker(getpid(), 2);
  }
  std::mutex mutex;
  std::vector<int64_t> taken;
  auto claimer = [&] {
    Store store(db_path());  // its own connection, as a second worker process would have
    while (const auto run = store.claim_next_queued_run(worker)) {
      std::lock_guard<std::mutex> lock(mutex);
      taken.push_back(run->id);
    }
  };
  std::thread a(claimer), b(claimer), c(claimer);
  a.join();
  b.join();
  c.join();
  EXPECT_EQ(taken.size(), static_cast<size_t>(kRuns));
  EXPECT_EQ(std::set<int64_t>(taken.begin(), taken.end()).size(), static_cast<size_t>(kRuns));
}

TEST_F(StoreTest, ClaimRunTakesOnlyAQueuedRun) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  EXPECT_TRUE(store.claim_run(run, 4242));
  EXPECT_EQ(store.find_run(run)->pid, 4242);
  EXPECT_EQ(store.find_run(run)->status, RunStatus::Running);
  EXPECT_FALSE(store.claim_run(run, 4243)) << "a running run was claimed twice";
  store.set_run_pid(run, 77);
  EXPECT_EQ(store.find_run(run)->pid, 77);
  EXPECT_THROW(store.set_run_pid(run + 1, 1), StoreError);
}

TEST_F(StoreTest, RequestCancelCancelsQueuedAtOnceAndFlagsRunning) {
  Store store(db_path());
  const int64_t queued = store.create_run(make_run("queued"));
  const int64_t running = store.create_run(make_run("running"));
  store.mark_started(running, getpid(), "cpu");

  store.request_cancel(queued);
  const auto cancelled = store.find_run(queued);
  EXPECT_EQ(cancelled->status, RunStatus::Cancelled);
  EXPECT_FALSE(cancelled->finished_at.empty());
  EXPECT_FALSE(cancelled->cancel_requested);

  EXPECT_FALSE(store.cancel_requested(running));
  store.request_cancel(running);
  EXPECT_EQ(store.find_run(running)->status, RunStatus::Running);
  EXPECT_TRUE(store.cancel_requested(running));
  EXPECT_TRUE(store.find_run(running)->cancel_requested);
  // The trainer's own end settles the request.
  store.set_status(running, RunStatus::Cancelled, "stopped on request");
  EXPECT_FALSE(store.cancel_requested(running));

  try {
    store.request_cancel(running);
    FAIL() << "a cancelled run was cancelled again";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("only queued or running runs can be cancelled"),
              std::string::npos)
        << error.what();
  }
  EXPECT_THROW(store.request_cancel(running + 100), StoreError);
  EXPECT_THROW(store.cancel_requested(running + 100), StoreError);
}

TEST_F(StoreTest, RequeueQueuesCancelledAndInterruptedRunsOnly) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  store.mark_started(run, dead_pid(), "cpu");
  ASSERT_EQ(store.reap_dead_runs(), std::vector<int64_t>{run});

  store.requeue_run(run);
  auto record = store.find_run(run);
  EXPECT_EQ(record->status, RunStatus::Queued);
  EXPECT_TRUE(record->error.empty());
  EXPECT_TRUE(record->finished_at.empty());
  EXPECT_EQ(record->pid, 0);
  EXPECT_THROW(store.requeue_run(run), StoreError) << "a queued run was requeued";

  const int64_t worker = store.register_worker(getpid(), 1);
  EXPECT_EQ(store.claim_next_queued_run(worker)->id, run);
  EXPECT_THROW(store.requeue_run(run), StoreError) << "a running run was requeued";
  store.request_cancel(run);
  store.set_status(run, RunStatus::Cancelled, "stopped");
  store.requeue_run(run);
  EXPECT_EQ(store.find_run(run)->status, RunStatus::Queued);
  EXPECT_FALSE(store.find_run(run)->cancel_requested);

  store.set_status(run, RunStatus::Finished);
  try {
    store.requeue_run(run);
    FAIL() << "a finished run was requeued";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("only cancelled or interrupted"), std::string::npos)
        << error.what();
  }
}

TEST_F(StoreTest, FinishIfRunningChangesOnlyRunningRuns) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("r"));
  EXPECT_FALSE(store.finish_if_running(run, RunStatus::Interrupted, "x"));
  EXPECT_EQ(store.find_run(run)->status, RunStatus::Queued);
  store.mark_started(run, getpid(), "cpu");
  EXPECT_TRUE(store.finish_if_running(run, RunStatus::Interrupted, "trainer exited with code 1"));
  EXPECT_EQ(store.find_run(run)->status, RunStatus::Interrupted);
  EXPECT_EQ(store.find_run(run)->error, "trainer exited with code 1");
  EXPECT_THROW(store.finish_if_running(run, RunStatus::Running, ""), StoreError);
}

TEST_F(StoreTest, LiveWorkerNeedsAFreshHeartbeatAndALiveProcess) {
  Store store(db_path());
  EXPECT_FALSE(store.live_worker().has_value());
  const int64_t id = store.register_worker(getpid(), 3);
  auto live = store.live_worker();
  ASSERT_TRUE(live.has_value());
  EXPECT_EQ(live->id, id);
  EXPECT_EQ(live->pid, getpid());
  EXPECT_EQ(live->slots, 3);
  EXPECT_EQ(live->hostname, this_host_name());
  EXPECT_FALSE(live->stop_requested);
  EXPECT_GE(live->heartbeat_age_s, 0.0);
  EXPECT_LT(live->heartbeat_age_s, 5.0);

  // A second worker is refused, naming the first one's pid.
  try {
    store.register_worker(getpid() + 1, 1);
    FAIL() << "a second live worker was registered";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("pid " + std::to_string(getpid())), std::string::npos)
        << error.what();
  }

  raw_exec(db_path(), "UPDATE workers SET heartbeat_at = '2001-01-01T00:00:00.000Z'");
  EXPECT_FALSE(store.live_worker().has_value()) << "a stale heartbeat counts as live";
  store.worker_heartbeat(id);
  EXPECT_TRUE(store.live_worker().has_value());

  const int64_t dead = dead_pid();
  raw_exec(db_path(), "UPDATE workers SET pid = " + std::to_string(dead));
  EXPECT_FALSE(store.live_worker().has_value()) << "a worker whose process is gone counts as live";
  // On another host only the heartbeat can tell.
  raw_exec(db_path(), "UPDATE workers SET hostname = 'elsewhere.invalid'");
  EXPECT_TRUE(store.live_worker().has_value());
  EXPECT_THROW(store.worker_heartbeat(id + 100), StoreError);
}

TEST_F(StoreTest, RegisterWorkerForgetsDeadWorkersOfThisHost) {
  Store store(db_path());
  store.register_worker(dead_pid(), 1);
  store.register_worker(dead_pid(), 1);
  const int64_t id = store.register_worker(getpid(), 1);
  EXPECT_EQ(raw_query(db_path(), "SELECT count(*) FROM workers"), "1");
  EXPECT_EQ(store.live_worker()->id, id);
}

TEST_F(StoreTest, WorkerStopRequestAndRemoval) {
  Store store(db_path());
  const int64_t id = store.register_worker(getpid(), 1);
  EXPECT_FALSE(store.worker_stop_requested(id));
  store.request_worker_stop(id);
  EXPECT_TRUE(store.worker_stop_requested(id));
  EXPECT_TRUE(store.live_worker()->stop_requested);
  store.remove_worker(id);
  EXPECT_FALSE(store.live_worker().has_value());
  EXPECT_TRUE(store.worker_stop_requested(id)) << "a worker whose row is gone must stop";
  EXPECT_THROW(store.request_worker_stop(id), StoreError);
}

TEST_F(StoreTest, AnnotationsRoundTrip) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("old-name"));
  store.rename_run(run, "new name");
  store.set_run_annotations(run, "baseline,fig2", "lr too high?\nsecond line", "#1f77b4");
  const auto record = store.find_run("new name");
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->id, run);
  EXPECT_EQ(record->tags, "baseline,fig2");
  EXPECT_EQ(record->notes, "lr too high?\nsecond line");
  EXPECT_EQ(record->colour, "#1f77b4");
  EXPECT_FALSE(store.find_run("old-name").has_value());
  EXPECT_THROW(store.rename_run(run + 1, "x"), StoreError);
  EXPECT_THROW(store.set_run_annotations(run + 1, "", "", ""), StoreError);
}

TEST_F(StoreTest, DeleteRunRemovesRowsAndFilesAndRefusesARunningRun) {
  Store store(db_path());
  const int64_t keep = store.create_run(make_run("keep"));
  const int64_t gone = store.create_run(make_run("gone"));
  store.append_metrics({point(keep, "train/loss", 1, 1.0), point(gone, "train/loss", 1, 2.0),
                        point(gone, "valid/accuracy", 1, 0.5)});
  const fs::path files = store.files_dir();
  auto touch = [](const fs::path& path) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << "x";
  };
  const fs::path gone_checkpoint = files / "runs" / std::to_string(gone) / "checkpoint-e0001-s00000010.zlck";
  const fs::path keep_checkpoint = files / "runs" / std::to_string(keep) / "checkpoint-e0001-s00000010.zlck";
  const fs::path gone_log = files / "logs" / ("run-" + std::to_string(gone) + ".log");
  for (const auto& path : {gone_checkpoint, keep_checkpoint, gone_log}) {
    touch(path);
  }
  store.add_checkpoint(gone, 1, 10, gone_checkpoint.string());
  store.add_checkpoint(keep, 1, 10, keep_checkpoint.string());

  store.mark_started(gone, getpid(), "cpu");
  try {
    store.delete_run(gone);
    FAIL() << "a running run was deleted";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("cancel it first"), std::string::npos) << error.what();
  }
  EXPECT_TRUE(store.find_run(gone).has_value());

  store.set_status(gone, RunStatus::Cancelled, "stopped");
  store.delete_run(gone);
  EXPECT_FALSE(store.find_run(gone).has_value());
  EXPECT_TRUE(store.metrics(gone).empty());
  EXPECT_TRUE(store.summary(gone).empty());
  EXPECT_FALSE(store.latest_checkpoint(gone).has_value());
  EXPECT_FALSE(fs::exists(files / "runs" / std::to_string(gone)));
  EXPECT_FALSE(fs::exists(gone_log));
  // The other run is untouched.
  EXPECT_EQ(store.metrics(keep).size(), 1u);
  EXPECT_EQ(store.summary(keep).size(), 1u);
  EXPECT_TRUE(store.latest_checkpoint(keep).has_value());
  EXPECT_TRUE(fs::exists(keep_checkpoint));
  EXPECT_THROW(store.delete_run(gone), StoreError);
}

TEST_F(StoreTest, DeletingTheNewestRunNeverReusesMetricIds) {
  Store store(db_path());
  const int64_t run = store.create_run(make_run("a"));
  store.append_metrics({point(run, "train/loss", 1, 1.0), point(run, "train/loss", 2, 0.5)});
  const int64_t last_id = store.metrics(run).back().id;
  store.delete_run(run);
  const int64_t next = store.create_run(make_run("b"));
  store.append_metrics({point(next, "train/loss", 1, 1.0)});
  // The GUI polls for ids above the last one it saw; a reused id would hide this point from it.
  EXPECT_GT(store.metrics(next).front().id, last_id);
}

TEST_F(StoreTest, MigratesVersionOneDatabaseKeepingItsRuns) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr),
              SQLITE_OK);
    apply_migrations(db, db_path(), {schema_migrations().front()});
    ASSERT_EQ(read_user_version(db), 1);
    sqlite3_close_v2(db);
  }
  raw_exec(db_path(),
           "INSERT INTO runs (id, name, status, created_at, pid) VALUES (7, 'old-run', 'finished', "
           "'2024-01-01T00:00:00Z', 0);"
           "INSERT INTO metrics (id, run_id, key, step, value) VALUES (40, 7, 'train/loss', 1, 0.25);"
           "INSERT INTO run_summary (run_id, key, last, last_step, min, max, best, best_step) "
           "VALUES (7, 'train/loss', 0.25, 1, 0.25, 0.25, 0.25, 1);"
           "INSERT INTO workers (pid, host, started_at, slots) VALUES (1, 'h', '2024-01-01T00:00:00Z', 1);");

  Store store(db_path());
  EXPECT_EQ(raw_query(db_path(), "PRAGMA user_version"), std::to_string(Store::kSchemaVersion));
  const auto run = store.find_run(7);
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->name, "old-run");
  EXPECT_EQ(run->uid.size(), 32u);  // version 3 gave the old run a uid
  EXPECT_EQ(run->status, RunStatus::Finished);
  EXPECT_FALSE(run->cancel_requested);
  const auto points = store.metrics(7);
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].id, 40);
  EXPECT_DOUBLE_EQ(points[0].value, 0.25);
  EXPECT_EQ(store.summary(7).size(), 1u);
  EXPECT_TRUE(store.integrity_ok());
  EXPECT_FALSE(store.live_worker().has_value());
  const fs::path backup = db_path() + ".backup-v1";
  ASSERT_TRUE(fs::exists(backup));
  EXPECT_EQ(raw_query(backup.string(), "PRAGMA user_version"), "1");
  EXPECT_EQ(raw_query(backup.string(), "SELECT name FROM runs WHERE id = 7"), "old-run");
  // The rebuilt metrics table continues after the old ids.
  const int64_t run2 = store.create_run(make_run("new"));
  store.append_metrics({point(run2, "train/loss", 1, 1.0)});
  EXPECT_GT(store.metrics(run2).front().id, 40);
}

TEST(ChildProcessTest, ExitCodeOutputAndSignals) {
  const test_support::TempDir temp("zoolab-child");
  const fs::path& dir = temp.path();
  const std::string log = (dir / "logs" / "child.log").string();

  const pid_t exits = spawn_logged("/bin/sh", {"sh", "-c", "echo out; echo err >&2; exit 3"}, log);
  const int status = wait_status(exits);
  EXPECT_EQ(describe_wait_status(status), "exited with code 3");
  const std::string text = read_text(log);
  EXPECT_NE(text.find("out"), std::string::npos) << text;
  EXPECT_NE(text.find("err"), std::string::npos) << text;

  const pid_t sleeper = spawn_logged("/bin/sh", {"sh", "-c", "sleep 30"}, log);
  EXPECT_FALSE(poll_child(sleeper).has_value());
  kill(sleeper, SIGKILL);
  EXPECT_NE(describe_wait_status(wait_status(sleeper)).find("killed by signal 9"), std::string::npos);

  const pid_t missing = spawn_logged("/nonexistent/program", {"program"}, log);
  EXPECT_EQ(describe_wait_status(wait_status(missing)), "exited with code 127");
  EXPECT_NE(read_text(log).find("cannot execute /nonexistent/program"), std::string::npos) << read_text(log);

  EXPECT_THROW(spawn_logged("/bin/true", {"true"}, "/proc/no/such/folder/x.log"), std::runtime_error);
}

TEST(TrainerProcessTest, OnlyLiveZoolabTrainersAreSignalled) {
  EXPECT_FALSE(is_trainer_process(getpid())) << "a test binary is no zoolab trainer";
  EXPECT_FALSE(is_trainer_process(dead_pid()));
  EXPECT_FALSE(is_trainer_process(0));
  EXPECT_FALSE(terminate_trainer(dead_pid()));
}

TEST(WorkerOptionsTest, ThreadsPerChild) {
  EXPECT_EQ(threads_per_child(3, 8), 3);
  EXPECT_GE(threads_per_child(0, 1), 1);
  EXPECT_EQ(threads_per_child(0, 100000), 1);
}

// The worker loop with a stand-in trainer that exits without touching the run, as a crash would.
TEST_F(StoreTest, WorkerMarksRunsWhoseTrainerDiedInterrupted) {
  const fs::path program = m_dir / "fake-trainer.sh";
  std::ofstream(program) << "#!/bin/sh\necho \"fake trainer $*\"\nexit 3\n";
  fs::permissions(program, fs::perms::owner_all);
  int64_t first = 0, second = 0;
  {
    Store store(db_path());
    first = store.create_run(make_run("a"));
    second = store.create_run(make_run("b"));
  }
  WorkerOptions options;
  options.db_path = db_path();
  options.program = program.string();
  options.program_name = "fake-trainer";
  options.slots = 2;
  options.threads_per_child = 1;
  options.poll_ms = 10;
  options.exit_when_idle = true;
  std::ostringstream log;
  EXPECT_EQ(run_worker(options, log), 0);

  Store store(db_path());
  for (const int64_t run : {first, second}) {
    const auto record = store.find_run(run);
    EXPECT_EQ(record->status, RunStatus::Interrupted) << log.str();
    EXPECT_NE(record->error.find("exited with code 3"), std::string::npos) << record->error;
    const std::string run_log = store.files_dir() + "/logs/run-" + std::to_string(run) + ".log";
    EXPECT_NE(record->error.find(run_log), std::string::npos) << record->error;
    EXPECT_NE(read_text(run_log).find("fake trainer train --run " + std::to_string(run) + " --db " +
                                      db_path() + " --threads 1 --device cpu --quiet"),
              std::string::npos)
        << read_text(run_log);
  }
  EXPECT_FALSE(store.live_worker().has_value()) << "the worker left its row behind";
  EXPECT_EQ(raw_query(db_path(), "SELECT count(*) FROM workers"), "0");

  // Another live worker (this process) is refused, by pid.
  store.register_worker(getpid(), 1);
  try {
    run_worker(options, log);
    FAIL() << "a second worker started";
  } catch (const std::runtime_error& error) {
    EXPECT_NE(std::string(error.what()).find("pid " + std::to_string(getpid())), std::string::npos)
        << error.what();
  }
  options.slots = 0;
  EXPECT_THROW(run_worker(options, log), std::invalid_argument);
}

}  // namespace
}  // namespace zoolab::store_test
