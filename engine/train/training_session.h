#pragma once

// The one training loop of every run kind. A TrainingSession marks the run started, lets a task
// (engine/train/training_task.h) load its data, builds the model and optimizer, resumes from the run's
// latest checkpoint when asked (checked against the run before it reaches the model), then trains epoch
// by epoch: steps with divergence and stop checks, an evaluation, a checkpoint and the run's progress.
// It records how the run ended (finished, early stop, cancelled, diverged, failed) on the run.
// No torch in this header.

#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include "engine/config/run_config.h"
#include "engine/train/trainer.h"

namespace zoolab {

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
  TrainingSession(Store& store, int64_t run_id, const RunConfig& config, const TrainOptions& options);

  // Trains the run with the task `make_task` builds. Failures are recorded on the run (failed, or
  // interrupted while Restoring) and returned; only a store that cannot be written throws.
  TrainResult run(TaskFactory make_task);

  SessionPhase phase() const { return m_phase; }

 private:
  TrainResult train(TaskFactory make_task);
  TrainResult finish(RunStatus status, const std::string& text);
  TrainResult fail(const std::exception& error);
  void message(const std::string& text) const;

  Store& m_store;
  int64_t m_run_id;
  const RunConfig& m_config;
  const TrainOptions& m_options;
  SessionPhase m_phase;
  TrainResult m_result;
};

}  // namespace zoolab
