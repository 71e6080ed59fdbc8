#pragma once

// The SQLite run database (shared/DESIGN.md §3): one file, WAL, foreign keys, a busy timeout,
// schema version in PRAGMA user_version with numbered migrations, a backup copy before migrating
// and a refusal to open a newer schema. Every method throws StoreError on failure.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
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

struct NewRun {
  std::string name;
  std::string task;
  std::string mixer;
  std::string config_json;
  int64_t seed = 0;
  RunStatus status = RunStatus::Queued;
  std::optional<int64_t> sweep_id;
};

class Store {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens (creating the file and its folder if needed) and migrates to kSchemaVersion.
  explicit Store(const std::string& path);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  const std::string& path() const { return m_path; }
  // Folder beside the database for checkpoints and caches: "<db>.files/" (created on demand).
  std::string files_dir() const;

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
  // Runs marked running whose trainer process no longer exists become interrupted; returns them.
  std::vector<int64_t> reap_dead_runs();

  // Metrics. Appends in one transaction and updates run_summary.
  void append_metrics(const std::vector<MetricPoint>& points);
  // All points of a run (optionally one key), ordered by id.
  std::vector<MetricPoint> metrics(int64_t run, const std::string& key = {}) const;
  // Points of any run with id > after_id, ordered by id (incremental polling).
  std::vector<MetricPoint> metrics_since(int64_t after_id) const;
  std::vector<MetricSummary> summary(int64_t run) const;
  // Drops points with step > `step` and rebuilds the run's summary (resume from a checkpoint).
  void truncate_metrics_after(int64_t run, int64_t step);

  // Checkpoints.
  int64_t add_checkpoint(int64_t run, int64_t epoch, int64_t step, const std::string& path);
  std::optional<CheckpointRecord> latest_checkpoint(int64_t run) const;
  // Forgets every checkpoint of the run but `keep_id` and returns them (the caller deletes files).
  std::vector<CheckpointRecord> remove_checkpoints_except(int64_t run, int64_t keep_id);

  // PRAGMA integrity_check == "ok".
  bool integrity_ok() const;

  sqlite3* handle() const { return m_db; }

 private:
  void migrate();
  std::string m_path;
  sqlite3* m_db = nullptr;
};

}  // namespace zoolab
