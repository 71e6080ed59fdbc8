#include "engine/train/text_trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include <torch/torch.h>

#include "engine/store/store.h"
#include "engine/text/bigram_counts.h"
#include "engine/text/token_losses.h"
#include "engine/text/token_shards.h"
#include "engine/train/checkpoint.h"
#include "engine/train/checkpoint_files.h"
#include "engine/train/device.h"
#include "engine/train/metric_writer.h"
#include "engine/train/model_setup.h"
#include "engine/train/resume_checks.h"
#include "engine/train/stop_request.h"
#include "engine/train/text_batches.h"
#include "engine/train/text_step.h"
#include "engine/train/train_step.h"

namespace zoolab {

double text_learning_rate(double peak, int64_t step, int64_t warmup_steps, int64_t total_steps) {
  if (warmup_steps > 0 && step <= warmup_steps) {
    return peak * static_cast<double>(step) / static_cast<double>(warmup_steps);
  }
  const double floor = kTextFinalLearningRateRatio * peak;
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  const double progress = std::min(1.0, static_cast<double>(step - warmup_steps) / span);  // (0, 1]
  return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

int64_t text_validation_count(const RunConfig& config) {
  const int64_t steps = text_train_steps(config.data);
  const int64_t interval = config.train.eval_interval;
  if (interval <= 0 || interval >= steps) {
    return 1;
  }
  return steps / interval + (steps % interval != 0 ? 1 : 0);
}

namespace {

using Clock = std::chrono::steady_clock;

// The shards of a run, checked against its configuration before any model is built.
struct TextData {
  ShardsFolder folder;
  TokenShard train;
  TokenShard valid;
};

TokenShard open_shard(const std::string& path, const RunConfig& config) {
  if (!std::filesystem::exists(path)) {
    throw std::runtime_error("data.text.shards: " + path +
                             " does not exist; point --shards (or data.text.shards) at a folder written by "
                             "`zoolab-cli data tokenize`");
  }
  TokenShard shard(path);
  if (shard.info().vocab_size > config.data.vocab_size) {
    throw std::runtime_error("data.vocab_size (" + std::to_string(config.data.vocab_size) +
                             ") is smaller than the vocabulary of " + path + " (vocab_size " +
                             std::to_string(shard.info().vocab_size) + "); set data.vocab_size to at least " +
                             std::to_string(shard.info().vocab_size));
  }
  return shard;
}

TextData open_text_data(const RunConfig& config) {
  const auto& dir = config.data.text.shards;
  if (dir.empty()) {
    throw std::runtime_error(
        "data.text.shards is empty: pass --shards DIR to `zoolab-cli train` or `enqueue` (the folder "
        "`zoolab-cli data tokenize` wrote), or set data.text.shards in the configuration");
  }
  if (!std::filesystem::is_directory(dir)) {
    throw std::runtime_error("data.text.shards: " + dir +
                             " is not a folder; point it at the folder `zoolab-cli data tokenize` wrote");
  }
  const auto folder = shards_folder(dir);
  auto train = open_shard(folder.train, config);
  auto valid = open_shard(folder.valid, config);
  if (!std::filesystem::exists(folder.bigrams)) {
    throw std::runtime_error("data.text.shards: " + folder.bigrams +
                             " is missing (the AR-hit analysis needs the training bigram counts); tokenize "
                             "again with `zoolab-cli data tokenize`");
  }
  // Its header and size checked now, before any model is built; the counts are looked up later, for the
  // validation tokens only (a Pile-sized file holds tens of millions of bigrams).
  BigramCounts::lookup(folder.bigrams, {});
  return {folder, std::move(train), std::move(valid)};
}

// The fixed validation windows, their batches and what the per-token loss set needs besides the losses.
struct ValidationSet {
  std::vector<TextBatch> batches;
  TokenLossSet losses;  // tokens and train_counts filled once; losses at each validation
};

ValidationSet make_validation_set(const TextData& data, const RunConfig& config,
                                  const torch::Device& device) {
  const auto& text = config.data.text;
  const int64_t length = text.context_length + 1;
  const auto starts = validation_starts(data.valid.size(), text.valid_sequences, length, data.folder.valid);
  ValidationSet set;
  auto& losses = set.losses;
  losses.sequences = text.valid_sequences;
  losses.length = length;
  losses.shards = text.shards;
  losses.tokens.resize(static_cast<size_t>(losses.sequences * length));
  losses.losses.assign(losses.tokens.size(), std::numeric_limits<float>::quiet_NaN());
  losses.train_counts.assign(losses.tokens.size(), 0);
  std::vector<int64_t> window(static_cast<size_t>(length));
  std::vector<std::pair<int32_t, int32_t>> pairs;  // (previous, token) at every position i >= 1
  pairs.reserve(static_cast<size_t>(losses.sequences * (length - 1)));
  for (int64_t k = 0; k < losses.sequences; ++k) {
    data.valid.read(starts[static_cast<size_t>(k)], length, window.data());
    const size_t base = static_cast<size_t>(k * length);
    for (int64_t i = 0; i < length; ++i) {
      losses.tokens[base + static_cast<size_t>(i)] = static_cast<int32_t>(window[static_cast<size_t>(i)]);
      if (i > 0)
        pairs.emplace_back(losses.tokens[base + static_cast<size_t>(i) - 1],
                           losses.tokens[base + static_cast<size_t>(i)]);
    }
  }
  const std::vector<uint64_t> counts = BigramCounts::lookup(data.folder.bigrams, pairs);
  size_t next = 0;
  for (int64_t k = 0; k < losses.sequences; ++k) {
    for (int64_t i = 1; i < length; ++i) {
      losses.train_counts[static_cast<size_t>(k * length + i)] =
          static_cast<uint32_t>(std::min<uint64_t>(counts[next++], std::numeric_limits<uint32_t>::max()));
    }
  }
  const int64_t batch_size = config.data.test_batch_size;
  for (int64_t first = 0; first < losses.sequences; first += batch_size) {
    const int64_t rows = std::min(batch_size, losses.sequences - first);
    std::vector<int64_t> batch_starts(starts.begin() + first, starts.begin() + first + rows);
    set.batches.push_back(read_text_batch(data.valid, batch_starts, text.context_length, device));
  }
  return set;
}

// Fills set.losses.losses (position i >= 1 of sequence k: the loss of its prediction; position 0 stays NaN)
// and returns the mean loss over every predicted token.
double validate(LanguageModel& model, ValidationSet& set) {
  auto& losses = set.losses;
  const int64_t length = losses.length;
  const int64_t context = length - 1;
  double sum = 0.0;
  int64_t sequence = 0;
  for (const auto& batch : set.batches) {
    const auto batch_losses = text_token_losses(model, batch);  // (b, L)
    const int64_t rows = batch.inputs.size(0);
    for (int64_t row = 0; row < rows; ++row, ++sequence) {
      for (int64_t i = 0; i < context; ++i) {
        const float loss = batch_losses[static_cast<size_t>(row * context + i)];
        losses.losses[static_cast<size_t>(sequence * length + i + 1)] = loss;
        sum += loss;
      }
    }
  }
  return sum / static_cast<double>(losses.sequences * context);
}

class TextTrainingSession {
 public:
  TextTrainingSession(Store& store, int64_t run_id, const RunConfig& config, const TrainOptions& options,
                      bool& restoring)
      : m_store(store),
        m_run_id(run_id),
        m_config(config),
        m_options(options),
        m_restoring(restoring),
        m_device(resolve_device(options.device)) {}

  TrainResult run();

 private:
  void message(const std::string& text) {
    if (m_options.on_message) {
      m_options.on_message(text);
    }
  }
  TrainResult finish(RunStatus status, const std::string& text) {
    m_store.set_status(m_run_id, status, status == RunStatus::Finished ? std::string() : text);
    m_result.status = status;
    m_result.message = text;
    return m_result;
  }

  Store& m_store;
  int64_t m_run_id;
  std::string m_run_uid;  // written into checkpoints (resume_checks.h)
  const RunConfig& m_config;
  const TrainOptions& m_options;
  bool& m_restoring;  // train_run's: cleared when the first new step begins
  torch::Device m_device;
  TrainResult m_result;
};

TrainResult TextTrainingSession::run() {
  const auto& train = m_config.train;
  const auto& text = m_config.data.text;
  const int threads = configure_threads(m_options.threads);
  m_run_uid = checkpoint_run_uid(m_store, m_run_id);
  m_store.mark_started(m_run_id, static_cast<int64_t>(getpid()),
                       m_device.is_cuda() ? "cuda" : "cpu:" + std::to_string(threads) + " threads");

  auto data = open_text_data(m_config);
  TextWindowOrder order(data.train.size(), text.context_length, m_config.data.seed, data.folder.train);
  auto validation = make_validation_set(data, m_config, m_device);
  const int64_t total_steps = text_train_steps(m_config.data);
  const int64_t batch_size = m_config.data.train_batch_size;
  const int64_t tokens_per_step = batch_size * text.context_length;
  const int64_t validations = text_validation_count(m_config);

  torch::manual_seed(m_config.seed);
  LanguageModel model(language_model_options(m_config));
  model->to(m_device);
  auto optimizer = make_optimizer(model, m_config);
  m_store.set_model_info(m_run_id, model->num_parameters(), model->state_size(text.context_length));

  CheckpointPosition position;
  position.run_id = m_run_id;
  position.config_hash = config_hash(m_config);
  position.run_uid = m_run_uid;
  if (m_options.resume) {
    if (const auto checkpoint = m_store.latest_checkpoint(m_run_id)) {
      const auto& path = checkpoint->path;
      // Checksum, header, owner and position are all checked before the payload reaches the model.
      const auto file = read_checkpoint_file(path);
      const auto& saved = file.position();
      check_checkpoint_owner(saved, m_run_id, m_run_uid, position.config_hash, path);
      check_step_position(saved, total_steps, validations, train.eval_interval, path);
      restore_checkpoint(file, path, model, optimizer);
      position.epoch = saved.epoch;
      position.batch = saved.batch;
      position.step = saved.step;
      message("resuming at step " + std::to_string(position.step) + " of " + std::to_string(total_steps));
    } else {
      message("no checkpoint yet: restarting from the beginning");
    }
    m_store.truncate_metrics_after(m_run_id, position.step);
  }
  message("text run: " + std::to_string(total_steps) + " steps of " + std::to_string(batch_size) + " x " +
          std::to_string(text.context_length) + " tokens over " + std::to_string(order.windows()) +
          " training windows of " + data.folder.train + "; " + std::to_string(validations) +
          " validation(s) on " + std::to_string(text.valid_sequences) + " sequences");

  MetricWriter writer(m_store, m_run_id);
  const auto started = Clock::now();
  int64_t step = position.step;
  int64_t done_validations = position.epoch;
  m_result.steps = step;
  m_result.epochs = done_validations;
  // Since the last validation (or the start): training time, steps and summed loss, for the report.
  double interval_seconds = 0.0, interval_loss = 0.0;
  int64_t interval_steps = 0;
  m_restoring = false;  // from here on a failure is the run's own

  while (step < total_steps) {
    const double learning_rate =
        text_learning_rate(train.learning_rate, step + 1, train.warmup_steps, total_steps);
    set_learning_rate(optimizer, learning_rate);
    const auto step_start = Clock::now();
    const auto batch = training_batch(data.train, order, step, batch_size, text.context_length, m_device);
    const auto result = text_train_step(model, optimizer, batch, train.gradient_clip);
    interval_seconds += std::chrono::duration<double>(Clock::now() - step_start).count();
    ++step;
    ++interval_steps;
    interval_loss += result.loss;
    m_result.steps = step;
    const double wall = std::chrono::duration<double>(Clock::now() - started).count();
    writer.add("train/loss", step, result.loss, done_validations, wall);
    writer.add("train/learning_rate", step, learning_rate, done_validations, wall);
    writer.add("train/grad_norm", step, result.grad_norm, done_validations, wall);
    if (!std::isfinite(result.loss)) {
      writer.flush(done_validations, step);
      return finish(RunStatus::Diverged, "loss became " + std::to_string(result.loss) + " at step " +
                                             std::to_string(step) + " of " + std::to_string(total_steps));
    }
    writer.flush_if_due(done_validations, step);
    if (m_options.on_step) {
      m_options.on_step(step, result.loss);
    }
    const bool validate_now =
        step == total_steps || (train.eval_interval > 0 && step % train.eval_interval == 0);
    if (!validate_now) {
      if (stop_requested()) {
        writer.flush(done_validations, step);
        write_checkpoint(m_store, {m_run_id, done_validations, step, step, position.config_hash, m_run_uid},
                         model, optimizer);
        return finish(RunStatus::Cancelled, "stopped on request at step " + std::to_string(step) +
                                                "; resume with `zoolab-cli resume " +
                                                std::to_string(m_run_id) + "`");
      }
      continue;
    }

    const double valid_loss = validate(model, validation);
    std::map<std::string, double> metrics{{"valid/loss", valid_loss},
                                          {"valid/perplexity", std::exp(valid_loss)}};
    const double tokens_per_s =
        interval_seconds > 0 ? static_cast<double>(interval_steps * tokens_per_step) / interval_seconds : 0.0;
    const double wall_now = std::chrono::duration<double>(Clock::now() - started).count();
    for (const auto& [key, value] : metrics) {
      writer.add(key, step, value, done_validations, wall_now);
    }
    writer.add("train/tokens_per_s", step, tokens_per_s, done_validations, wall_now);
    ++done_validations;
    writer.flush(done_validations - 1, step);  // the validation counts once its checkpoint exists, below
    m_result.metrics = metrics;

    validation.losses.step = step;
    validation.losses.epoch = done_validations;
    m_store.put_token_losses(m_run_id, step, done_validations, encode_token_losses(validation.losses));

    if (m_options.on_epoch) {
      EpochReport report;
      report.epoch = done_validations - 1;
      report.max_epochs = validations;
      report.max_steps = total_steps;
      report.step = step;
      report.learning_rate = learning_rate;
      report.train_loss = interval_steps > 0 ? interval_loss / static_cast<double>(interval_steps) : NAN;
      report.seconds = interval_seconds;
      report.examples_per_s =
          interval_seconds > 0 ? static_cast<double>(interval_steps * batch_size) / interval_seconds : 0.0;
      report.tokens_per_s = tokens_per_s;
      report.metrics = metrics;
      m_options.on_epoch(report);
    }
    write_checkpoint(m_store, {m_run_id, done_validations, step, step, position.config_hash, m_run_uid},
                     model, optimizer);
    m_store.set_progress(m_run_id, done_validations, step);
    m_result.epochs = done_validations;
    interval_seconds = interval_loss = 0.0;
    interval_steps = 0;
    if (step < total_steps && stop_requested()) {
      return finish(RunStatus::Cancelled, "stopped on request after step " + std::to_string(step) +
                                              "; resume with `zoolab-cli resume " + std::to_string(m_run_id) +
                                              "`");
    }
  }
  return finish(RunStatus::Finished, "trained " + std::to_string(total_steps * tokens_per_step) +
                                         " tokens in " + std::to_string(total_steps) + " steps");
}

}  // namespace

TrainResult train_text_run(Store& store, int64_t run_id, const RunConfig& config, const TrainOptions& options,
                           bool& restoring) {
  TextTrainingSession session(store, run_id, config, options, restoring);
  return session.run();
}

}  // namespace zoolab
