#pragma once

// The SQLite run database: one file, WAL, foreign keys, a busy timeout, schema version in PRAGMA
// user_version with numbered migrations, a backup copy before migrating and a refusal to open a newer
// schema. Beside it, "<db>.files/" holds what the runs write: runs/<id>/ (checkpoints), logs/ and cache/.
// The database records those files relative to that folder and touches no file outside it
// (engine/store/contained_path.h). Every text it stores or returns is valid UTF-8. Every method throws
// StoreError on failure.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/store/records.h"

struct sqlite3;

namespace zoolab {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// $ZOOLAB_DB, else $XDG_DATA_HOME/zoolab/zoolab.sqlite, else ~/.local/share/zoolab/zoolab.sqlite.
std::string default_database_path();

// Liveness as the store judges it: a process with this id exists on this machine (kill(pid, 0); a pid
// <= 0 is never alive), and the name of this machine (gethostname) that worker rows record.
bool process_alive(int64_t pid);
std::string this_host_name();

struct NewRun {
  std::string name;
  std::string task;
  std::string mixer;
  std::string config_json;
  int64_t seed = 0;
  RunStatus status = RunStatus::Queued;
  std::optional<int64_t> sweep_id;
  int64_t pid = 0;  // the trainer, for a run created running (so no worker can claim it meanwhile)
  std::string uid;  // empty: a new random one (`db merge` passes the source run's)
};

// What Store::delete_run and checkpoint rotation removed, and what they left in place and why (a path
// outside the run's folder, a file that could not be removed). Paths are absolute.
struct FileCleanup {
  std::vector<std::string> removed;
  std::vector<std::string> skipped;  // "PATH: reason", PATH escaped for a terminal
};

class Store {
 public:
  static constexpr int kSchemaVersion = 6;

  // Write: creates a missing file (and its folder), migrates an older schema to kSchemaVersion, and
  // refuses a database whose file or folder it cannot write to, naming which. Read (the commands that
  // only read: runs, show, sweeps, export, db check): the same when it can write, otherwise opens the
  // file read-only, which works while its schema is current; read_only() tells which happened.
  enum class Access { Write, Read };

  // A relative path is made absolute once, here, so the files folder never depends on the working folder.
  explicit Store(const std::string& path, Access access = Access::Write);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return m_path; }
  bool read_only() const { return m_read_only; }
  // Folder beside the database for checkpoints, logs and caches: "<db>.files" (absolute; created on
  // demand unless read-only).
  std::string files_dir() const;
  // A file the database records (relative to files_dir) as an absolute path, once its canonical path
  // (symlinks resolved) is known to lie inside files_dir. Throws StoreError naming the path and the
  // folder otherwise: an absolute path of another database (`cp a.sqlite b.sqlite`), "..", a symlink out.
  std::string resolve_file(const std::string& recorded) const;
  // The inverse, for writers: an absolute path inside files_dir as the relative text to record. Throws
  // StoreError for a path outside it.
  std::string relative_file_path(const std::string& path) const;
  // "<files_dir>/runs/<id>": where every file of a run lives.
  std::string run_folder(int64_t run) const;

  // Runs.
  int64_t create_run(const NewRun& run);
  std::optional<RunRecord> find_run(int64_t id) const;
  // By id ("12") or by exact name (the newest run of that name).
  std::optional<RunRecord> find_run(const std::string& id_or_name) const;
  std::vector<RunRecord> list_runs() const;  // newest first
  void set_status(int64_t run, RunStatus status, const std::string& error = {});
  void mark_started(int64_t run, int64_t pid, const std::string& device);
  void set_model_info(int64_t run, int64_t num_parameters, int64_t state_size);
  void set_progress(int64_t run, int64_t epochs, int64_t steps);  // also refreshes the heartbeat
  // Runs marked running whose trainer process no longer exists become interrupted; returns them. Does
  // nothing on a read-only store.
  std::vector<int64_t> reap_dead_runs();

  // Annotations (the GUI edits them; nothing else reads them).
  void rename_run(int64_t run, const std::string& name);
  void set_run_annotations(int64_t run, const std::string& tags, const std::string& notes,
                           const std::string& colour);
  // Deletes the run, its metrics, summaries and checkpoint rows, then its files: <files_dir>/runs/<id>/
  // and <files_dir>/logs/run-<id>.log. A recorded checkpoint outside the run's folder is left in place and
  // reported, as is a folder or log that resolves outside files_dir through a symlink. Refuses a running
  // run (cancel it first). Throws StoreError, after the rows are gone, when a file could not be removed.
  FileCleanup delete_run(int64_t run);
  // What delete_run(run) would remove and leave, without changing anything.
  FileCleanup planned_run_deletion(int64_t run) const;

  // The queue (`zoolab-cli enqueue`, `zoolab-cli worker`). One BEGIN IMMEDIATE transaction takes the oldest
  // queued run (lowest id) and marks it running with the worker's pid, so two workers never take the same
  // run.
  std::optional<RunRecord> claim_next_queued_run(int64_t worker_id);
  // Takes one queued run for the process `pid` (`zoolab-cli train --run`); false when it is not queued.
  bool claim_run(int64_t run, int64_t pid);
  // The trainer process of a claimed run (the worker records its child before the child starts).
  void set_run_pid(int64_t run, int64_t pid);
  // A queued run becomes cancelled at once; a running one gets cancel_requested = 1 (its worker sends the
  // trainer SIGTERM). Throws for a run that is neither queued nor running.
  void request_cancel(int64_t run);
  bool cancel_requested(int64_t run) const;
  // A cancelled or interrupted run goes back to queued; a worker resumes it from its checkpoint.
  void requeue_run(int64_t run);
  // Sets a terminal status only if the run is still running (a trainer that died without saying so);
  // returns whether it was.
  bool finish_if_running(int64_t run, RunStatus status, const std::string& error);

  // Sweeps. Names are unique within a database: `zoolab-cli sweep` finds the sweep by name and enqueues
  // only the points whose run name is not yet among its runs (idempotent).
  int64_t create_sweep(const std::string& name, const std::string& spec_json);
  // In one transaction: finds the sweep `name` (creating it with `spec_json`) and creates those of `runs`
  // whose name is not yet a run of it, linked to it. Throws StoreError when the sweep exists with another
  // spec (a different sweep file under the same name). Returns the ids created, in the order given.
  struct SweepEnqueue {
    int64_t sweep_id = 0;
    std::vector<int64_t> created;
    int64_t already_present = 0;
  };
  SweepEnqueue add_sweep_runs(const std::string& name, const std::string& spec_json,
                              std::vector<NewRun> runs);
  std::optional<SweepRecord> find_sweep(const std::string& name) const;
  std::vector<SweepRecord> list_sweeps() const;  // with run counts by status, oldest first
  std::vector<std::string> sweep_run_names(int64_t sweep) const;

  // Workers. register_worker records this host and throws when another live worker serves the database
  // (the message names its pid); it also forgets dead workers of this host.
  int64_t register_worker(int64_t pid, int slots);
  void worker_heartbeat(int64_t worker_id);
  // The live worker, if any: heartbeat younger than max_age_s and, on this host, its pid alive.
  std::optional<WorkerRecord> live_worker(double max_age_s = 10) const;
  void request_worker_stop(int64_t worker_id);
  // True once a stop was requested, or when the worker's row is gone.
  bool worker_stop_requested(int64_t worker_id) const;
  void remove_worker(int64_t worker_id);

  // Metrics. Appends in one transaction and updates run_summary.
  void append_metrics(const std::vector<MetricPoint>& points);
  // All points of a run (optionally one key), ordered by id.
  std::vector<MetricPoint> metrics(int64_t run, const std::string& key = {}) const;
  // Points of any run with id > after_id, ordered by id (incremental polling).
  std::vector<MetricPoint> metrics_since(int64_t after_id) const;
  // Points of one run with id > after_id, ordered by id (a watched run's new points; indexed).
  std::vector<MetricPoint> metrics_after(int64_t run, int64_t after_id) const;
  std::vector<MetricSummary> summary(int64_t run) const;
  // Every run's summaries at once, by run id (cheaper than summary() per run for many runs).
  std::unordered_map<int64_t, std::vector<MetricSummary>> all_summaries() const;
  // Drops points with step > `step` and rebuilds the run's summary (resume from a checkpoint).
  void truncate_metrics_after(int64_t run, int64_t step);
  // The largest wall_time of the run's points, 0 without any: where a resumed run's elapsed training
  // time continues from, so that wall_time never decreases along a run.
  double last_wall_time(int64_t run) const;

  // Inspector records (engine/inspect). Both replace what the same key held, and truncate_metrics_after
  // drops those of later steps, so a resumed run never shows two histories.
  void put_query_records(const QueryRecordSetInfo& info, const std::string& blob);  // info.bytes is ignored
  std::vector<QueryRecordSetInfo> list_query_records(int64_t run) const;            // by step, then subset
  std::optional<std::string> query_records(int64_t run, int64_t step, const std::string& subset) const;
  // All patterns of one evaluation in one transaction.
  void put_patterns(const std::vector<PatternRecord>& patterns);
  std::vector<int64_t> pattern_steps(int64_t run) const;  // ascending
  // One evaluation's patterns (optionally of one example), by example, layer, kind, head.
  std::vector<PatternRecord> patterns(int64_t run, int64_t step, std::optional<int64_t> example = {}) const;

  // Per-token validation losses of a text run (engine/text/token_losses.h): one blob per run,
  // the newest validation's; put replaces the run's previous one.
  void put_token_losses(int64_t run, int64_t step, int64_t epoch, const std::string& blob);
  std::optional<std::string> token_losses(int64_t run) const;
  // The stored set's validation step and blob size, without reading the blob: a poller rereads the
  // blob only when these change (a new validation replaces it).
  std::optional<std::pair<int64_t, int64_t>> token_losses_version(int64_t run) const;

  // Checkpoints. `path` is absolute and must lie inside run_folder(run); it is recorded relative to
  // files_dir (StoreError otherwise).
  int64_t add_checkpoint(int64_t run, int64_t epoch, int64_t step, const std::string& path);
  // The newest checkpoint, its path resolved by resolve_file (so it throws for a recorded path outside
  // files_dir: such a file is refused, not read).
  std::optional<CheckpointRecord> latest_checkpoint(int64_t run) const;
  // Every checkpoint row of the run, oldest first (`db check`, `db copy`); `path` is empty where the
  // recorded one lies outside files_dir.
  std::vector<CheckpointRecord> recorded_checkpoints(int64_t run) const;
  // Forgets every checkpoint of the run but `keep_id` and removes their files, each only if it lies inside
  // run_folder(run); others are left in place and reported.
  FileCleanup remove_checkpoints_except(int64_t run, int64_t keep_id);

  // PRAGMA integrity_check == "ok".
  bool integrity_ok() const;

  // An SQLite URI that ATTACHes this database read-only the way this connection reads it
  // (`db merge` reads a source through it).
  std::string attach_uri() const;

  sqlite3* handle() const { return m_db; }

 private:
  void open_read_write();
  void open_read_only(const std::string& why);
  void migrate();
  std::string files_path() const { return m_path + ".files"; }
  // Where a recorded path points, lexically (not resolved): files_path() / recorded when relative.
  std::filesystem::path recorded_location(const std::string& recorded) const;
  FileCleanup plan_run_files(int64_t run, const std::vector<std::string>& recorded) const;
  std::string m_path;
  bool m_read_only = false;
  bool m_immutable = false;  // read-only through SQLite's immutable=1 (no -shm could be made)
  sqlite3* m_db = nullptr;
};

}  // namespace zoolab
