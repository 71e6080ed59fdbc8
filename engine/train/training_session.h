#pragma once

// The one training loop of every run kind. A TrainingSession marks the run started, lets a task
// (engine/train/training_task.h) load its data, builds the model and optimizer, resumes from the run's
// latest checkpoint when asked (checked against the run before it reaches the model), then trains epoch
// by epoch: steps with divergence and stop checks, an evaluation, a checkpoint and the run's progress.
// It records how the run ended (finished, early stop, cancelled, diverged, failed) on the run.
//
// Data parallel (TrainOptions::group): every rank runs this loop in step; each trains its rows of every
// batch (engine/train/distributed_tensors.h), the ranks sum their losses and stop flags after every step
// and after every evaluation, so a stop request or a diverged loss ends every rank at the same step. Rank
// 0 is the one writer: status, metrics, checkpoints and evaluation records; the other ranks get no Store.
// Every rank evaluates the whole test set (the same weights give the same metrics; no rank waits on
// another's shard). A rank that dies or fails makes the others' next collective fail: rank 0 then marks
// the run interrupted, naming the rank, and `zoolab-cli resume` continues it from its last checkpoint.
// No torch in this header.

#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "engine/config/run_config.h"
#include "engine/train/trainer.h"

namespace zoolab {

class DataParallel;
class Store;
class TrainingTask;
struct TaskContext;

using TaskFactory = std::unique_ptr<TrainingTask> (*)(const TaskContext& context);

// Where a session is. A failure while Restoring (a resumed run before its first new step: a damaged or
// foreign checkpoint, data that moved) changed nothing, so the run is left interrupted and resumable.
enum class SessionPhase {
  Starting,   // a new run: data, model
  Restoring,  // a resumed run: data, model, checkpoint
  Training,   // from the first new step on
};

class TrainingSession {
 public:
  // `store` is nullptr on the ranks other than 0 of a data-parallel run (they write nothing).
  TrainingSession(Store* store, int64_t run_id, const RunConfig& config, const TrainOptions& options);
  ~TrainingSession();

  // Trains the run with the task `make_task` builds. Failures are recorded on the run (failed, or
  // interrupted while Restoring) and returned; only a store that cannot be written throws.
  TrainResult run(TaskFactory make_task);

  SessionPhase phase() const { return m_phase; }

 private:
  TrainResult train(TaskFactory make_task);
  TrainResult finish(RunStatus status, const std::string& text);
  TrainResult fail(const std::exception& error);
  void message(const std::string& text) const;
  bool any_stop(const std::string& when);  // this rank's stop request, or (data parallel) any rank's

  Store* m_store;
  int64_t m_run_id;
  const RunConfig& m_config;
  const TrainOptions& m_options;
  SessionPhase m_phase;
  TrainResult m_result;
  std::unique_ptr<DataParallel> m_parallel;
};

}  // namespace zoolab
