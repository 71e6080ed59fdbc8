#include "engine/train/text_trainer.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include <torch/torch.h>

#include "engine/store/store.h"
#include "engine/text/bigram_counts.h"
#include "engine/text/token_losses.h"
#include "engine/text/token_shards.h"
#include "engine/train/distributed_tensors.h"
#include "engine/train/text_batches.h"
#include "engine/train/text_step.h"
#include "engine/train/train_step.h"
#include "engine/train/training_task.h"

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

class TextTask : public TrainingTask {
 public:
  explicit TextTask(const TaskContext& context)
      : m_config(context.config),
        m_store(context.store),
        m_run_id(context.run_id),
        m_device(context.device),
        m_parallel(context.parallel),
        m_data(open_text_data(m_config)),
        m_order(m_data.train.size(), m_config.data.text.context_length, m_config.data.seed,
                m_data.folder.train),
        m_validation(make_validation_set(m_data, m_config, m_device)),
        m_total_steps(text_train_steps(m_config.data)) {}

  TrainingSchedule schedule() const override {
    TrainingSchedule schedule;
    schedule.kind = TrainingSchedule::Kind::Steps;
    schedule.epochs = text_validation_count(m_config);
    schedule.steps_per_epoch = m_config.train.eval_interval;
    schedule.total_steps = m_total_steps;
    schedule.tokens_per_step = tokens_per_step();
    return schedule;
  }

  int64_t state_length() const override { return m_config.data.text.context_length; }

  std::string start_message() const override {
    const auto& text = m_config.data.text;
    return "text run: " + std::to_string(m_total_steps) + " steps of " +
           std::to_string(m_config.data.train_batch_size) + " x " + std::to_string(text.context_length) +
           " tokens over " + std::to_string(m_order.windows()) + " training windows of " +
           m_data.folder.train + "; " + std::to_string(text_validation_count(m_config)) +
           " validation(s) on " + std::to_string(text.valid_sequences) + " sequences";
  }

  StepResult train_step(LanguageModel& model, torch::optim::AdamW& optimizer,
                        const StepPosition& position) override {
    const auto& train = m_config.train;
    const int64_t batch_size = m_config.data.train_batch_size;
    m_learning_rate =
        text_learning_rate(train.learning_rate, position.step + 1, train.warmup_steps, m_total_steps);
    set_learning_rate(optimizer, m_learning_rate);
    const auto batch = training_batch(m_data.train, m_order, position.step, batch_size,
                                      m_config.data.text.context_length, m_device);
    TextStepResult result;
    if (m_parallel != nullptr) {
      // This rank's rows; every row has context_length targets, so its share of the mean is rows / B.
      const auto block = m_parallel->rows(batch_size);
      TextBatch rows{batch.inputs.narrow(0, block.first, block.count),
                     batch.targets.narrow(0, block.first, block.count)};
      StepShare share;
      share.loss_scale = static_cast<double>(block.count) / static_cast<double>(batch_size);
      share.auxiliary_scale = share.loss_scale;
      share.reduce = [&]() { m_parallel->reduce_gradients(model); };
      result = text_train_step(model, optimizer, rows, train.gradient_clip, &share);
    } else {
      result = text_train_step(model, optimizer, batch, train.gradient_clip);
    }
    return {result.loss,
            batch_size,
            {{"train/learning_rate", m_learning_rate}, {"train/grad_norm", result.grad_norm}}};
  }

  Evaluation evaluate(LanguageModel& model, int64_t /*epoch*/, const EpochTotals& totals) override {
    const double valid_loss = validate(model, m_validation);
    Evaluation evaluation;
    evaluation.metrics = {{"valid/loss", valid_loss}, {"valid/perplexity", std::exp(valid_loss)}};
    evaluation.learning_rate = m_learning_rate;
    evaluation.tokens_per_s =
        totals.seconds > 0 ? static_cast<double>(totals.steps * tokens_per_step()) / totals.seconds : 0.0;
    evaluation.logged = {{"train/tokens_per_s", evaluation.tokens_per_s}};
    return evaluation;
  }

  // Every validation's per-token losses are kept: the AR-hit analysis compares runs at any of them.
  void store_evaluation(LanguageModel& /*model*/, int64_t step, int64_t epochs, bool /*last*/) override {
    m_validation.losses.step = step;
    m_validation.losses.epoch = epochs;
    m_store->put_token_losses(m_run_id, step, epochs, encode_token_losses(m_validation.losses));
  }

 private:
  int64_t tokens_per_step() const {
    return m_config.data.train_batch_size * m_config.data.text.context_length;
  }

  const RunConfig& m_config;
  Store* m_store;  // rank 0 (or a single process) only
  int64_t m_run_id;
  const torch::Device& m_device;
  DataParallel* m_parallel;
  TextData m_data;
  TextWindowOrder m_order;
  ValidationSet m_validation;
  int64_t m_total_steps;
  double m_learning_rate = 0.0;  // the last step's
};

}  // namespace

std::unique_ptr<TrainingTask> make_text_task(const TaskContext& context) {
  return std::make_unique<TextTask>(context);
}

}  // namespace zoolab
