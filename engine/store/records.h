#pragma once

// Plain records of the run database (engine/store/store.h). No torch, no Qt: the views read these.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace zoolab {

enum class RunStatus { Queued, Running, Finished, Failed, Cancelled, Interrupted, Diverged };

// "queued", "running", ... as stored in the database.
const char* to_string(RunStatus status);
// Throws std::invalid_argument naming the value and the allowed ones.
RunStatus run_status_from_string(const std::string& text);
// Finished, failed, cancelled, interrupted or diverged: nothing is training it.
bool is_terminal(RunStatus status);

struct RunRecord {
  int64_t id = 0;
  std::string name;
  std::string task;   // "mqar"
  std::string mixer;  // sequence mixer name
  std::string config_json;
  RunStatus status = RunStatus::Queued;
  std::string created_at;  // ISO 8601 UTC
  std::string started_at;
  std::string finished_at;
  int64_t seed = 0;
  int64_t num_parameters = 0;
  int64_t state_size = 0;
  std::string device;
  std::string error;
  int64_t epochs = 0;  // completed epochs
  int64_t steps = 0;   // completed optimizer steps
  std::optional<int64_t> sweep_id;
  std::string tags;
  std::string notes;
  std::string colour;
  int64_t pid = 0;                // trainer process while running
  std::string heartbeat_at;       // last sign of life of the trainer
  bool cancel_requested = false;  // a cancel is pending: the worker forwards it as SIGTERM to the trainer
  std::string uid;  // random, 32 hex digits; kept by `zoolab-cli db merge`, so a run is never copied twice
};

// One scalar of the `metrics` table; keys follow Zoology ("train/loss", "valid/accuracy", ...).
struct MetricPoint {
  int64_t id = 0;  // row id, increasing; the GUI polls for rows after the last id it saw
  int64_t run_id = 0;
  std::string key;
  int64_t step = 0;
  double value = 0.0;
  int64_t epoch = 0;
  double wall_time = 0.0;  // seconds since the run started training
};

// Per run and key, maintained on every append (feeds tables without scanning metrics).
struct MetricSummary {
  std::string key;
  double last = 0.0;
  int64_t last_step = 0;
  double min = 0.0;
  double max = 0.0;
  double best = 0.0;  // min for keys containing "loss", else max
  int64_t best_step = 0;
};

struct CheckpointRecord {
  int64_t id = 0;
  int64_t run_id = 0;
  int64_t epoch = 0;          // completed epochs when written
  int64_t step = 0;           // completed optimizer steps when written
  std::string path;           // absolute, inside the database's files folder (Store::resolve_file)
  std::string recorded_path;  // as the row holds it: relative to the files folder
  std::string created_at;
};

// A sweep (`zoolab-cli sweep`): its name, the sweep file it was enqueued from, and how far its runs are.
struct SweepRecord {
  int64_t id = 0;
  std::string name;
  std::string spec_json;  // the sweep file, as enqueued
  std::string created_at;
  int64_t total = 0;  // runs of the sweep in this database
  int64_t queued = 0;
  int64_t running = 0;
  int64_t finished = 0;
  int64_t other = 0;  // failed, diverged, cancelled or interrupted
};

// A `zoolab-cli worker` process serving the queue of one database (`zoolab-cli worker`).
struct WorkerRecord {
  int64_t id = 0;
  int64_t pid = 0;
  std::string hostname;          // where pid lives; liveness is only checked by pid on the same host
  int64_t slots = 1;             // runs it trains at once
  std::string started_at;        // ISO 8601 UTC
  std::string heartbeat_at;      // ISO 8601 UTC with milliseconds, refreshed on every poll
  double heartbeat_age_s = 0.0;  // seconds since heartbeat_at when the record was read
  bool stop_requested = false;
};

// Per-query evaluation records of one evaluation (the recall inspector's), stored as one packed blob
// per (run, step, subset) that engine/inspect/query_records.h encodes and decodes. `subset` is "all" (every
// test query, written at a run's final evaluation) or "tracked" (a fixed subset, at every evaluation).
struct QueryRecordSetInfo {
  int64_t run_id = 0;
  int64_t step = 0;
  int64_t epoch = 0;  // completed epochs at that evaluation
  std::string subset;
  int64_t count = 0;  // records in the blob
  int64_t bytes = 0;  // blob size
};

// One captured pattern of one test example at one evaluation (table `patterns`): a row-major
// (rows, cols) float matrix. Kinds: "attention" (L, L) mixing weights of one head; "mixing" (L, L) the
// layer's M[i, j] = ‖∂y_i/∂x_j‖; "filter" (channels, taps) convolution kernels; others a mixer captures
// ("decay", "selector", "delta", "shift_filter") with their own shapes. head is -1 when not per head.
struct PatternRecord {
  int64_t run_id = 0;
  int64_t step = 0;
  int64_t epoch = 0;
  int64_t example = 0;  // index in the test split (segments in config order)
  int64_t layer = 0;
  int64_t head = -1;
  std::string kind;
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<float> values;  // rows * cols
};

}  // namespace zoolab
