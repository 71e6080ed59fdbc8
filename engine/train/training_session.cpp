#include "engine/train/training_session.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <optional>

#include <torch/torch.h>

#include "engine/config/config_error.h"
#include "engine/store/store.h"
#include "engine/train/checkpoint.h"
#include "engine/train/checkpoint_files.h"
#include "engine/train/device.h"
#include "engine/train/distributed.h"
#include "engine/train/distributed_tensors.h"
#include "engine/train/metric_writer.h"
#include "engine/train/model_setup.h"
#include "engine/train/resume_checks.h"
#include "engine/train/stop_request.h"
#include "engine/train/training_task.h"
#include "engine/util/input_error.h"

namespace zoolab {

namespace {

using Clock = std::chrono::steady_clock;
using Kind = TrainingSchedule::Kind;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The first step of `epoch` of a Steps schedule: validations fall after every steps_per_epoch-th step.
int64_t first_step(const TrainingSchedule& schedule, int64_t epoch) {
  return epoch * schedule.steps_per_epoch;
}

int64_t epoch_steps(const TrainingSchedule& schedule, int64_t epoch) {
  if (schedule.kind == Kind::Epochs) {
    return schedule.steps_per_epoch;
  }
  const int64_t end = epoch + 1 == schedule.epochs ? schedule.total_steps : first_step(schedule, epoch + 1);
  return end - first_step(schedule, epoch);
}

// What a checkpoint stores as its batch: the batch within the epoch, or (Steps) the step.
int64_t stored_batch(const TrainingSchedule& schedule, int64_t batch, int64_t step) {
  return schedule.kind == Kind::Epochs ? batch : step;
}

// The position a checkpoint was written at, checked against this run's schedule (throws CheckpointError).
StepPosition saved_position(const TrainingSchedule& schedule, const CheckpointPosition& saved,
                            const std::string& path) {
  if (schedule.kind == Kind::Epochs) {
    check_epoch_position(saved, schedule.epochs, schedule.steps_per_epoch, path);
    return {saved.epoch, saved.batch, saved.step};
  }
  check_step_position(saved, schedule.total_steps, schedule.epochs, schedule.steps_per_epoch, path);
  return {saved.epoch, saved.step - first_step(schedule, saved.epoch), saved.step};
}

std::string resume_message(const TrainingSchedule& schedule, const StepPosition& position) {
  if (schedule.kind == Kind::Epochs) {
    return "resuming at epoch " + std::to_string(position.epoch + 1) + ", batch " +
           std::to_string(position.batch) + " (step " + std::to_string(position.step) + ")";
  }
  return "resuming at step " + std::to_string(position.step) + " of " + std::to_string(schedule.total_steps);
}

// "step 12 (epoch 2)" or "step 12 of 40": where a loss diverged.
std::string step_name(const TrainingSchedule& schedule, int64_t epoch, int64_t step) {
  if (schedule.kind == Kind::Epochs) {
    return "step " + std::to_string(step) + " (epoch " + std::to_string(epoch + 1) + ")";
  }
  return "step " + std::to_string(step) + " of " + std::to_string(schedule.total_steps);
}

// "epoch 2" or "step 20": the evaluation a stop request was honoured after.
std::string evaluation_name(const TrainingSchedule& schedule, int64_t epoch, int64_t step) {
  return schedule.kind == Kind::Epochs ? "epoch " + std::to_string(epoch + 1)
                                       : "step " + std::to_string(step);
}

std::string finished_message(const TrainingSchedule& schedule) {
  if (schedule.kind == Kind::Epochs) {
    return "finished " + std::to_string(schedule.epochs) + " epochs";
  }
  return "trained " + std::to_string(schedule.total_steps * schedule.tokens_per_step) + " tokens in " +
         std::to_string(schedule.total_steps) + " steps";
}

// What on_epoch gets after the evaluation of `epoch`.
EpochReport epoch_report(const TrainingSchedule& schedule, int64_t epoch, int64_t step,
                         const EpochTotals& totals, const Evaluation& evaluation) {
  EpochReport report;
  report.epoch = epoch;
  report.max_epochs = schedule.epochs;
  report.max_steps = schedule.kind == Kind::Steps ? schedule.total_steps : 0;
  report.tokens_per_s = evaluation.tokens_per_s;
  report.step = step;
  report.learning_rate = evaluation.learning_rate;
  report.train_loss = totals.steps > 0 ? totals.loss_sum / static_cast<double>(totals.steps) : NAN;
  report.seconds = totals.seconds;
  report.examples_per_s = totals.seconds > 0 ? static_cast<double>(totals.examples) / totals.seconds : 0.0;
  report.metrics = evaluation.metrics;
  return report;
}

// Rank 0's metric writer; the other ranks of a data-parallel run write nothing.
class RankWriter {
 public:
  RankWriter(Store* store, int64_t run_id) {
    if (store != nullptr) {
      m_writer.emplace(*store, run_id);
    }
  }
  void add(const std::string& key, int64_t step, double value, int64_t epoch, double wall_time) {
    if (m_writer) {
      m_writer->add(key, step, value, epoch, wall_time);
    }
  }
  void flush_if_due(int64_t epochs, int64_t steps) {
    if (m_writer) {
      m_writer->flush_if_due(epochs, steps);
    }
  }
  void flush(int64_t epochs, int64_t steps) {
    if (m_writer) {
      m_writer->flush(epochs, steps);
    }
  }

 private:
  std::optional<MetricWriter> m_writer;
};

}  // namespace

TrainingSession::TrainingSession(Store* store, int64_t run_id, const RunConfig& config,
                                 const TrainOptions& options)
    : m_store(store),
      m_run_id(run_id),
      m_config(config),
      m_options(options),
      m_phase(options.resume ? SessionPhase::Restoring : SessionPhase::Starting) {
  if (options.group != nullptr) {
    m_parallel = std::make_unique<DataParallel>(*options.group);
  }
}

TrainingSession::~TrainingSession() = default;

bool TrainingSession::any_stop(const std::string& when) {
  const bool stop = stop_requested();
  if (!m_parallel) {
    return stop;
  }
  return m_options.group->all_reduce_sum({stop ? 1.0 : 0.0}, "all-reduce of the stop flag " + when)[0] > 0;
}

void TrainingSession::message(const std::string& text) const {
  if (m_options.on_message) {
    m_options.on_message(text);
  }
}

TrainResult TrainingSession::finish(RunStatus status, const std::string& text) {
  if (m_store != nullptr) {
    m_store->set_status(m_run_id, status, status == RunStatus::Finished ? std::string() : text);
  }
  m_result.status = status;
  m_result.message = text;
  return m_result;
}

TrainResult TrainingSession::fail(const std::exception& error) {
  // A resume that fails before changing anything leaves the run as it was: resumable. So does a rank of
  // a data-parallel run that died or failed: the run continues from its last checkpoint.
  const bool collective = dynamic_cast<const CollectiveError*>(&error) != nullptr;
  const auto status =
      m_phase == SessionPhase::Restoring || collective ? RunStatus::Interrupted : RunStatus::Failed;
  std::string text = error.what();
  if (m_options.group != nullptr) {
    // The other ranks learn why, and stop waiting for this one now rather than at their timeout.
    m_options.group->abort(text, collective);
    if (collective) {
      text += "; resume with `zoolab-cli resume " + std::to_string(m_run_id) + "`";
    }
  }
  if (m_store != nullptr) {
    m_store->set_status(m_run_id, status, text);
  }
  TrainResult result;
  result.status = status;
  result.message = text;
  result.input_error = dynamic_cast<const InputError*>(&error) != nullptr ||
                       dynamic_cast<const ConfigError*>(&error) != nullptr;
  return result;
}

TrainResult TrainingSession::run(TaskFactory make_task) {
  try {
    return train(make_task);
  } catch (const StoreError& error) {
    if (m_options.group != nullptr) {
      m_options.group->abort(error.what());
    }
    throw;
  } catch (const std::exception& error) {
    return fail(error);
  }
}

TrainResult TrainingSession::train(TaskFactory make_task) {
  torch::Device device = resolve_device(m_options.device);
  if (m_parallel && device.is_cuda()) {  // one GPU per rank of a machine, as torchrun's LOCAL_RANK says
    const auto gpus = static_cast<int>(torch::cuda::device_count());
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(m_options.group->local_rank() % gpus));
  }
  const int threads = configure_threads(m_options.threads);
  std::string run_uid;  // written into checkpoints
  if (m_store != nullptr) {
    run_uid = checkpoint_run_uid(*m_store, m_run_id);
    std::string where = device.is_cuda() ? "cuda" : "cpu:" + std::to_string(threads) + " threads";
    if (m_parallel) {
      where += " x " + std::to_string(m_parallel->world_size()) + " ranks";
    }
    m_store->mark_started(m_run_id, static_cast<int64_t>(getpid()), where);
  }

  // Data first, then the model, as Zoology 0bb9665 does; both are functions of the seeds only.
  const auto task = make_task({m_store, m_run_id, m_config, device, m_parallel.get()});
  const auto schedule = task->schedule();
  torch::manual_seed(m_config.seed);
  LanguageModel model(language_model_options(m_config));
  model->to(device);
  auto optimizer = make_optimizer(model, m_config);
  if (m_store != nullptr) {
    m_store->set_model_info(m_run_id, model->num_parameters(), model->state_size(task->state_length()));
  }

  const std::string hash = config_hash(m_config);
  StepPosition start;
  double elapsed_before = 0.0;  // training seconds of the run before this session (a resume)
  if (m_options.resume && m_store != nullptr) {
    if (const auto latest = m_store->latest_checkpoint(m_run_id)) {
      const auto& path = latest->path;
      // Checksum, header, owner and position are all checked before the payload reaches the model:
      // a batch of -3 would otherwise index before the run's batches.
      const auto file = read_checkpoint_file(path);
      check_checkpoint_owner(file.position(), m_run_id, run_uid, hash, path);
      start = saved_position(schedule, file.position(), path);
      restore_checkpoint(file, path, model, optimizer);
      message(resume_message(schedule, start));
    } else {
      message("no checkpoint yet: restarting from the beginning");
    }
    // Whatever was logged after the checkpoint is recomputed, identically.
    m_store->truncate_metrics_after(m_run_id, start.step);
    // wall_time is elapsed training time: it continues from the checkpoint's points instead of restarting
    // at 0, so a time axis never runs backwards, and it leaves out the time the run was stopped.
    elapsed_before = m_store->last_wall_time(m_run_id);
  }
  if (m_parallel) {
    // Rank 0's position, weights and (resuming) AdamW state on every rank; the ranks built the same
    // model from the same seed, this makes sure of it. Rank 0 failing to restore ends this broadcast on
    // the others (ProcessGroup::abort).
    const bool lead = m_parallel->rank() == 0;
    const auto position = m_options.group->all_reduce_sum(
        {lead ? static_cast<double>(start.epoch) : 0.0, lead ? static_cast<double>(start.batch) : 0.0,
         lead ? static_cast<double>(start.step) : 0.0},
        "broadcast of the start position from rank 0");
    start = {static_cast<int64_t>(position[0]), static_cast<int64_t>(position[1]),
             static_cast<int64_t>(position[2])};
    m_parallel->broadcast_state(model, optimizer, m_options.resume);
    if (!lead) {  // dropout masks of its own rows, not a copy of rank 0's
      torch::manual_seed(m_config.seed + 1000003ULL * static_cast<uint64_t>(m_parallel->rank()) +
                         static_cast<uint64_t>(start.step));
    }
  }
  if (const auto text = task->start_message(); !text.empty()) {
    message(text);
  }

  RankWriter writer(m_store, m_run_id);
  const auto started = Clock::now();
  int64_t step = start.step;
  auto checkpoint = [&](int64_t epoch, int64_t batch) {
    if (m_store != nullptr) {  // rank 0 writes it: every rank holds the same weights
      write_checkpoint(*m_store, {m_run_id, epoch, stored_batch(schedule, batch, step), step, hash, run_uid},
                       model, optimizer);
    }
  };
  auto stopped_message = [&](const std::string& when) {
    return "stopped on request " + when + "; resume with `zoolab-cli resume " + std::to_string(m_run_id) +
           "`";
  };
  m_result.steps = step;
  m_result.epochs = start.epoch;
  m_phase = SessionPhase::Training;  // from here on a failure is the run's own

  for (int64_t epoch = start.epoch; epoch < schedule.epochs; ++epoch) {
    task->begin_epoch(epoch, model, optimizer);
    EpochTotals totals;
    const int64_t steps = epoch_steps(schedule, epoch);
    for (int64_t batch = epoch == start.epoch ? start.batch : 0; batch < steps; ++batch) {
      const auto step_start = Clock::now();
      const auto result = task->train_step(model, optimizer, {epoch, batch, step});
      double loss = result.loss;
      bool stop = false;  // data parallel: a stop requested on any rank, summed with the loss
      if (m_parallel) {   // the batch's loss is the sum of the ranks' shares; a stop on any rank stops all
        stop = stop_requested();
        const auto sums = m_options.group->all_reduce_sum(
            {loss, stop ? 1.0 : 0.0}, "all-reduce of the loss at step " + std::to_string(step + 1));
        loss = sums[0];
        stop = sums[1] > 0;
      }
      totals.seconds += seconds_since(step_start);
      ++step;
      ++totals.steps;
      totals.examples += result.examples;
      totals.loss_sum += loss;
      m_result.steps = step;
      const double wall = elapsed_before + seconds_since(started);
      writer.add("train/loss", step, loss, epoch, wall);
      for (const auto& [key, value] : result.logged) {
        writer.add(key, step, value, epoch, wall);
      }
      if (!std::isfinite(loss)) {
        writer.flush(epoch, step);
        return finish(RunStatus::Diverged,
                      "loss became " + std::to_string(loss) + " at " + step_name(schedule, epoch, step));
      }
      writer.flush_if_due(epoch, step);
      if (m_options.on_step) {
        m_options.on_step(step, loss);
      }
      if (!m_parallel) {  // a single process also honours a stop requested during on_step
        stop = stop_requested();
      }
      const bool evaluation_due = batch + 1 == steps;
      if (stop && (schedule.kind == Kind::Epochs || !evaluation_due)) {
        writer.flush(epoch, step);
        checkpoint(epoch, batch + 1);
        return finish(RunStatus::Cancelled, stopped_message("at step " + std::to_string(step)));
      }
    }

    auto evaluation = task->evaluate(model, epoch, totals);
    const double wall = elapsed_before + seconds_since(started);
    for (const auto& [key, value] : evaluation.metrics) {
      writer.add(key, step, value, epoch, wall);
    }
    for (const auto& [key, value] : evaluation.logged) {
      writer.add(key, step, value, epoch, wall);
    }
    // The epoch counts as completed (progress epoch + 1) only once its checkpoint exists, below: a
    // trainer killed in between resumes from the previous one, as `epochs` says.
    writer.flush(epoch, step);
    m_result.epochs = epoch + 1;
    m_result.metrics = evaluation.metrics;

    bool early_stop = !evaluation.early_stop.empty();
    bool stopping = stop_requested();  // a stop honoured after this evaluation makes it the last
    if (m_parallel) {  // rank 0's early stop (every rank evaluated the same weights), any rank's stop
      const bool lead = m_parallel->rank() == 0;
      const auto sums = m_options.group->all_reduce_sum(
          {stopping ? 1.0 : 0.0, lead && early_stop ? 1.0 : 0.0},
          "all-reduce of the stop flags after " + evaluation_name(schedule, epoch, step));
      stopping = sums[0] > 0;
      early_stop = sums[1] > 0;
      if (early_stop && evaluation.early_stop.empty()) {
        evaluation.early_stop = "early stop after rank 0's evaluation";
      }
    }
    const bool last_epoch = epoch + 1 == schedule.epochs;
    if (m_store != nullptr) {
      task->store_evaluation(model, step, epoch + 1, early_stop || stopping || last_epoch);
    }

    if (m_options.on_epoch) {
      m_options.on_epoch(epoch_report(schedule, epoch, step, totals, evaluation));
    }
    checkpoint(epoch + 1, 0);
    if (m_store != nullptr) {
      m_store->set_progress(m_run_id, epoch + 1, step);
    }

    if (early_stop) {
      return finish(RunStatus::Finished, evaluation.early_stop);
    }
    if ((stopping || any_stop("after the checkpoint of " + evaluation_name(schedule, epoch, step))) &&
        (schedule.kind == Kind::Epochs || !last_epoch)) {
      return finish(RunStatus::Cancelled, stopped_message("after " + evaluation_name(schedule, epoch, step)));
    }
  }
  return finish(RunStatus::Finished, finished_message(schedule));
}

}  // namespace zoolab
