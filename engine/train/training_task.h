#pragma once

// What a kind of training run supplies to the one training loop (engine/train/training_session.h): its
// data and batches, one optimizer step, its evaluation and what it stores of it. The session owns the
// rest: the run's status, the model and optimizer, checkpoints and resuming, metrics, stop requests,
// divergence and the messages.
//
// A new task kind plugs in by
//   1. subclassing TrainingTask: the constructor loads and checks the data (it runs before the model is
//      built, and a throw there fails the run, or leaves a resumed run interrupted); schedule() picks one
//      of the two schedules below; train_step(), evaluate() and store_evaluation() do the task's part;
//   2. writing a factory `std::unique_ptr<TrainingTask> make_X_task(const TaskContext&)`;
//   3. making train_run() (engine/train/trainer.cpp) pick that factory for the task's data.task.
// The session calls, in order: the factory, schedule(), state_length(), start_message() and then per
// epoch begin_epoch(), train_step() for each of its steps, evaluate() and store_evaluation().

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/optim/adamw.h>

#include "engine/config/run_config.h"
#include "models/language_model.h"

namespace zoolab {

class Store;

// How a task's steps fall into epochs. An epoch always ends with an evaluation and a checkpoint; the
// kind decides what a checkpoint's batch field holds, how a stop meets an evaluation and what the
// messages say.
struct TrainingSchedule {
  enum class Kind {
    // Zoology's: `epochs` passes of `steps_per_epoch` batches. A checkpoint stores the batch within its
    // epoch. A stop is honoured after any step, the epoch's last one included (before its evaluation),
    // and one that arrives during the last evaluation still cancels the run.
    Epochs,
    // A budget of `total_steps` with a validation after every `steps_per_epoch`-th step (0: none but the
    // last) and after the last: `epochs` counts validations. A checkpoint stores batch = step, and its
    // epoch must match the validations done by then, so a stop waits for a validation that is due; after
    // the last validation the run is finished.
    Steps,
  };
  Kind kind = Kind::Epochs;
  int64_t epochs = 0;
  int64_t steps_per_epoch = 0;
  int64_t total_steps = 0;      // Steps only
  int64_t tokens_per_step = 0;  // Steps only: the final message counts tokens
};

// Where a step is: `batch` steps of `epoch` were taken before it, `step` in the whole run.
struct StepPosition {
  int64_t epoch = 0;
  int64_t batch = 0;
  int64_t step = 0;
};

struct StepResult {
  double loss = 0.0;  // written as train/loss; a non-finite loss ends the run as diverged
  int64_t examples = 0;
  std::vector<std::pair<std::string, double>> logged;  // further rows at this step, after train/loss
};

// Training since the epoch began (or the run resumed), for the evaluation's report.
struct EpochTotals {
  int64_t steps = 0;
  int64_t examples = 0;
  double loss_sum = 0.0;
  double seconds = 0.0;  // in train_step() only
};

struct Evaluation {
  std::map<std::string, double> metrics;               // valid/*: written, reported, the run's result
  std::vector<std::pair<std::string, double>> logged;  // further rows at this step, after the metrics
  double learning_rate = 0.0;                          // for the report
  double tokens_per_s = 0.0;                           // for the report; 0 where the task counts no tokens
  std::string early_stop;  // not empty: the run finishes after this evaluation, with this message
};

class DataParallel;

// What a factory gets; the references outlive the task.
struct TaskContext {
  // The run's database: only rank 0 of a data-parallel run has one (the one writer); the others get
  // nullptr and never call store_evaluation().
  Store* store;
  int64_t run_id;
  const RunConfig& config;
  const torch::Device& device;
  // Data parallel (engine/train/distributed_tensors.h): each train_step() takes this rank's rows of the
  // global batch as a StepShare (engine/train/train_step.h). nullptr: a single process.
  DataParallel* parallel = nullptr;
};

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;

  virtual TrainingSchedule schedule() const = 0;
  // The sequence length at which the run's state size is reported (Store::set_model_info).
  virtual int64_t state_length() const = 0;
  // Said after the resume message, before the first step; empty: nothing.
  virtual std::string start_message() const { return {}; }

  // Before the first step of `epoch` (also when the run resumes inside it).
  virtual void begin_epoch(int64_t /*epoch*/, LanguageModel& /*model*/, torch::optim::AdamW& /*optimizer*/) {}
  // The step's loss and examples are the whole batch's, also in a data-parallel run (the session sums
  // the ranks' losses: each returns its share).
  virtual StepResult train_step(LanguageModel& model, torch::optim::AdamW& optimizer,
                                const StepPosition& position) = 0;
  virtual Evaluation evaluate(LanguageModel& model, int64_t epoch, const EpochTotals& totals) = 0;
  // Stores what the task keeps of the evaluation just made, after its metrics were written. `epochs`
  // counts evaluations including it; `last`: the run stops after it (end, early stop or stop request).
  virtual void store_evaluation(LanguageModel& model, int64_t step, int64_t epochs, bool last) = 0;
};

}  // namespace zoolab
