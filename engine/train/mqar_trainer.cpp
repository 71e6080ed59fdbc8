#include "engine/train/mqar_trainer.h"

#include <filesystem>
#include <optional>

#include <torch/torch.h>

#include "engine/store/store.h"
#include "engine/train/batches.h"
#include "engine/train/distributed_tensors.h"
#include "engine/train/evaluation.h"
#include "engine/train/pattern_capture.h"
#include "engine/train/query_recording.h"
#include "engine/train/train_step.h"
#include "engine/train/training_task.h"

namespace zoolab {

namespace {

// Batches in one epoch of the training split: make_batches cuts each segment into ceil(N / B) batches,
// whatever the order of its examples.
int64_t batches_per_epoch(const std::vector<TokenSegment>& segments, int64_t batch_size) {
  int64_t batches = 0;
  if (batch_size <= 0) {
    return 0;
  }
  for (const auto& segment : segments) {
    batches += (segment.num_examples + batch_size - 1) / batch_size;
  }
  return batches;
}

// The first `count` examples of a split (clamped to its size), as token sequences on the host.
std::vector<std::vector<int64_t>> first_examples(const SplitData& split, int64_t count) {
  std::vector<std::vector<int64_t>> examples;
  const auto first = segment_first_examples(split);
  for (const auto& batch : split.batches) {
    for (int64_t row = 0; row < batch.inputs.size(0); ++row) {
      const int64_t example = first[batch.segment] + batch.first_example + row;
      if (example < count) {
        examples.resize(std::max<size_t>(examples.size(), static_cast<size_t>(example + 1)));
        const auto tokens = batch.inputs[row].to(torch::kCPU).contiguous();
        examples[example].assign(tokens.data_ptr<int64_t>(), tokens.data_ptr<int64_t>() + tokens.numel());
      }
    }
  }
  return examples;
}

class MqarTask : public TrainingTask {
 public:
  explicit MqarTask(const TaskContext& context);

  TrainingSchedule schedule() const override;
  int64_t state_length() const override;
  void begin_epoch(int64_t epoch, LanguageModel& model, torch::optim::AdamW& optimizer) override;
  StepResult train_step(LanguageModel& model, torch::optim::AdamW& optimizer,
                        const StepPosition& position) override;
  Evaluation evaluate(LanguageModel& model, int64_t epoch, const EpochTotals& totals) override;
  void store_evaluation(LanguageModel& model, int64_t step, int64_t epochs, bool last) override;

 private:
  Store* m_store;  // rank 0 (or a single process) only
  int64_t m_run_id;
  const RunConfig& m_config;
  const torch::Device& m_device;
  DataParallel* m_parallel;
  std::vector<TokenSegment> m_train_segments;
  SplitData m_train_split;  // batched once without train.shuffle, else each epoch
  SplitData m_test_split;
  int64_t m_batches_per_epoch = 0;
  double m_learning_rate = 0.0;  // this epoch's
  // Tokens of the test examples whose patterns are stored.
  std::vector<std::vector<int64_t>> m_pattern_examples;
  std::optional<QueryRecordSet> m_records;  // of the last evaluation, until it is stored
};

MqarTask::MqarTask(const TaskContext& context)
    : m_store(context.store),
      m_run_id(context.run_id),
      m_config(context.config),
      m_device(context.device),
      m_parallel(context.parallel) {
  const auto& data = m_config.data;
  // The other ranks of a data-parallel run generate the data from its seeds without a cache: they may
  // run on machines without the database's folder, and never write beside rank 0.
  std::string cache_dir;
  if (m_store != nullptr) {
    cache_dir = data.cache_dir.empty() ? (std::filesystem::path(m_store->files_dir()) / "cache").string()
                                       : data.cache_dir;
  }
  const auto seeds = segment_seeds(data);
  m_train_segments = load_segments(data.train, seeds.train, data.vocab_size, cache_dir);
  m_test_split = make_batches(load_segments(data.test, seeds.test, data.vocab_size, cache_dir),
                              data.test_batch_size, m_device);
  m_batches_per_epoch = batches_per_epoch(m_train_segments, data.train_batch_size);
  if (m_config.train.inspect.pattern_examples > 0) {
    m_pattern_examples = first_examples(m_test_split, m_config.train.inspect.pattern_examples);
  }
  if (!m_config.train.shuffle) {  // one fixed order (Zoology 0bb9665): batch once
    m_train_split = make_batches(std::move(m_train_segments), data.train_batch_size, m_device);
  }
}

TrainingSchedule MqarTask::schedule() const {
  TrainingSchedule schedule;
  schedule.kind = TrainingSchedule::Kind::Epochs;
  schedule.epochs = m_config.train.max_epochs;
  schedule.steps_per_epoch = m_batches_per_epoch;
  return schedule;
}

int64_t MqarTask::state_length() const {
  int64_t length = 0;
  for (const auto& segment : m_config.data.test) {
    length = std::max(length, segment.input_seq_len);
  }
  return length;
}

void MqarTask::begin_epoch(int64_t epoch, LanguageModel& model, torch::optim::AdamW& optimizer) {
  const auto& train = m_config.train;
  if (train.shuffle) {
    const auto order = shuffled_order(m_train_segments, m_config.data.seed, epoch);
    m_train_split = make_batches(m_train_segments, m_config.data.train_batch_size, m_device, &order);
  }
  m_learning_rate = cosine_learning_rate(train.learning_rate, epoch, train.max_epochs);
  set_learning_rate(optimizer, m_learning_rate);
  model->train();
}

StepResult MqarTask::train_step(LanguageModel& model, torch::optim::AdamW& optimizer,
                                const StepPosition& position) {
  const auto& batch = m_train_split.batches[static_cast<size_t>(position.batch)];
  StepResult result;
  const bool all_positions = m_config.train.lm_head == "all";
  if (m_parallel != nullptr) {
    // This rank's rows; its loss is its positions' summed loss over the batch's count of positions.
    const auto block = m_parallel->rows(batch.inputs.size(0));
    const auto rows = batch_rows(batch, block);
    StepShare share;
    share.loss_scale =
        static_cast<double>(rows.positions.numel()) / static_cast<double>(batch.positions.numel());
    share.auxiliary_scale = static_cast<double>(block.count) / static_cast<double>(batch.inputs.size(0));
    share.reduce = [&]() { m_parallel->reduce_gradients(model); };
    result.loss = zoolab::train_step(model, optimizer, rows, all_positions, &share).loss;
  } else {
    result.loss = zoolab::train_step(model, optimizer, batch, all_positions).loss;
  }
  result.examples = batch.inputs.size(0);
  return result;
}

Evaluation MqarTask::evaluate(LanguageModel& model, int64_t epoch, const EpochTotals& /*totals*/) {
  const auto& train = m_config.train;
  // Every record is kept in memory at each evaluation (a small cost, bench_recording) since only the
  // metrics tell whether the run stops after it; the store gets them all only then.
  std::optional<RecordRequest> request;
  if (train.inspect.records) {
    request = RecordRequest{"all", 0};
  }
  auto result = zoolab::evaluate(model, m_test_split, train, request);
  m_records = std::move(result.records);
  Evaluation evaluation;
  evaluation.metrics = result.metrics;
  evaluation.learning_rate = m_learning_rate;
  evaluation.logged = {{"epoch", static_cast<double>(epoch)}, {"train/learning_rate", m_learning_rate}};
  const auto found = evaluation.metrics.find(train.early_stopping_metric);
  if (found != evaluation.metrics.end() && found->second > train.early_stopping_threshold) {
    evaluation.early_stop = "early stop after epoch " + std::to_string(epoch + 1) + ": " +
                            train.early_stopping_metric + " " + std::to_string(found->second) + " > " +
                            std::to_string(train.early_stopping_threshold);
  }
  return evaluation;
}

// What the recall inspector keeps of one evaluation: the tracked records, every record when
// the run stops after it, and the patterns of the first test examples.
void MqarTask::store_evaluation(LanguageModel& model, int64_t step, int64_t epochs, bool last) {
  const auto& inspect = m_config.train.inspect;
  auto put = [&](const QueryRecordSet& set) {
    m_store->put_query_records({m_run_id, step, epochs, set.subset, static_cast<int64_t>(set.records.size())},
                               encode_query_records(set));
  };
  if (auto records = std::move(m_records)) {
    m_records.reset();
    records->step = step;
    records->epoch = epochs;
    if (inspect.tracked_examples > 0) {
      put(tracked_subset(*records, inspect.tracked_examples));
    }
    if (last) {
      put(*records);
    }
  }
  if (!m_pattern_examples.empty()) {
    // The mixing matrix costs a mixer pass with backward per row, L·D rows exact or L·16 estimated
    // (pattern_capture.h): at L = 64, D = 64 its 2 layers × 2 examples take seconds on a CPU, more than
    // the evaluation; at L = 512, D = 512 32,768 sequence passes, a third of a Figure 2 epoch. So only
    // a tiny model gets it at every evaluation; the others once, at the end.
    constexpr int64_t kEveryEvaluationMixingRows = 1024;
    const int64_t rows = max_seq_len(m_config.data) * m_config.model.d_model;
    const bool mixing = inspect.mixing_matrix && (last || rows <= kEveryEvaluationMixingRows);
    std::vector<PatternRecord> patterns;
    for (size_t example = 0; example < m_pattern_examples.size(); ++example) {
      for (auto& pattern : capture_patterns(model, m_pattern_examples[example], static_cast<int64_t>(example),
                                            PatternOptions{mixing})) {
        pattern.run_id = m_run_id;
        pattern.step = step;
        pattern.epoch = epochs;
        patterns.push_back(std::move(pattern));
      }
    }
    m_store->put_patterns(patterns);
  }
}

}  // namespace

std::unique_ptr<TrainingTask> make_mqar_task(const TaskContext& context) {
  return std::make_unique<MqarTask>(context);
}

}  // namespace zoolab
