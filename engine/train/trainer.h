#pragma once

// Trains one run of the database: train_run() picks the run's task (MQAR: engine/train/mqar_trainer.h,
// Zoology's semantics; text, data.task "text": engine/train/text_trainer.h) and trains it in the one
// training loop (engine/train/training_session.h). Every epoch (a text run's: every validation) ends with
// a checkpoint; a stop request (SIGTERM) finishes the step, checkpoints and marks the run cancelled; a
// non-finite loss marks it diverged.
// No torch in this header: the CLI and the GUI's worker include it.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "engine/config/run_config.h"
#include "engine/store/records.h"

namespace zoolab {

class ProcessGroup;
class Store;

// After each MQAR epoch, or each validation of a text run (then `epoch` counts validations,
// max_epochs is 0 and max_steps / tokens_per_s are set).
struct EpochReport {
  int64_t epoch = 0;  // 0-based epoch just finished
  int64_t max_epochs = 0;
  int64_t max_steps = 0;      // text runs: the run's steps
  double tokens_per_s = 0.0;  // text runs: training tokens per second since the previous validation
  int64_t step = 0;
  double learning_rate = 0.0;
  double train_loss = 0.0;  // mean over the epoch's steps
  double seconds = 0.0;     // training time of the epoch (without evaluation)
  double examples_per_s = 0.0;
  std::map<std::string, double> metrics;  // valid/*
};

struct TrainOptions {
  int threads = 0;             // 0: every core
  std::string device = "cpu";  // "cpu" or "cuda"
  bool resume = false;         // continue from the run's latest checkpoint
  std::function<void(const EpochReport&)> on_epoch;
  std::function<void(int64_t step, double loss)> on_step;  // after every optimizer step
  std::function<void(const std::string&)> on_message;
  // Data parallel (engine/train/distributed.h): this process is one rank of the group, which trains
  // the run together. nullptr: a single process.
  ProcessGroup* group = nullptr;
};

struct TrainResult {
  RunStatus status = RunStatus::Failed;
  std::string message;
  int64_t epochs = 0;
  int64_t steps = 0;
  std::map<std::string, double> metrics;  // the last evaluation
  bool input_error = false;  // the failure was unusable input (InputError, ConfigError): exit code 2
};

// Trains `run_id` (already in the store with this configuration). Failures inside training are
// recorded on the run (status failed, error text) and returned; only a store that cannot be written
// throws. A resumed run (options.resume) that fails before its first new step (a damaged or foreign
// checkpoint, data that moved) is left interrupted with the error instead: nothing of it was changed,
// and `zoolab-cli resume` works again once the cause is fixed (the file restored).
TrainResult train_run(Store& store, int64_t run_id, const RunConfig& config, const TrainOptions& options);

// A rank other than 0 of a data-parallel run (options.group): it trains its rows of every batch with
// rank 0 and writes nothing (rank 0 is the one writer of the run's database, status and checkpoints).
// Its failures are returned (and told to the other ranks), never recorded.
TrainResult train_run_rank(int64_t run_id, const RunConfig& config, const TrainOptions& options);

// at::set_num_threads with 0 meaning every core; returns the count used.
int configure_threads(int threads);

// A stable hash of the configuration JSON (checkpoints refuse to resume a different run).
std::string config_hash(const RunConfig& config);

}  // namespace zoolab
