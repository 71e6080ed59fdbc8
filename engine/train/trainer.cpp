#include "engine/train/trainer.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <thread>

#include <torch/torch.h>

#include "engine/config/config_error.h"
#include "engine/data/dataset_cache.h"
#include "engine/store/store.h"
#include "engine/train/checkpoint.h"
#include "engine/train/checkpoint_files.h"
#include "engine/train/device.h"
#include "engine/train/evaluation.h"
#include "engine/train/metric_writer.h"
#include "engine/train/model_setup.h"
#include "engine/train/pattern_capture.h"
#include "engine/train/query_recording.h"
#include "engine/train/resume_checks.h"
#include "engine/train/stop_request.h"
#include "engine/train/text_trainer.h"
#include "engine/train/train_step.h"

namespace zoolab {

int configure_threads(int threads) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int used = threads > 0 ? threads : cores;
  at::set_num_threads(used);
  return used;
}

namespace {

// The configuration without train.inspect, which only decides what evaluation records: a run resumes
// from its checkpoint whatever the inspector settings were (and did before they existed).
nlohmann::json training_json(const RunConfig& config) {
  auto json = to_json(config);
  json["train"].erase("inspect");
  return json;
}

}  // namespace

std::string config_hash(const RunConfig& config) {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(fnv1a64(training_json(config).dump())));
  return hex;
}

namespace {

using Clock = std::chrono::steady_clock;

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

class TrainingSession {
 public:
  TrainingSession(Store& store, int64_t run_id, const RunConfig& config, const TrainOptions& options,
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
  TrainResult finish(RunStatus status, const std::string& text);
  void store_inspection(LanguageModel& model, std::optional<QueryRecordSet> records, int64_t step,
                        int64_t epochs, bool final_evaluation);

  Store& m_store;
  int64_t m_run_id;
  std::string m_run_uid;  // written into checkpoints (resume_checks.h)
  const RunConfig& m_config;
  const TrainOptions& m_options;
  bool& m_restoring;  // train_run's: cleared when the first new step begins
  torch::Device m_device;
  TrainResult m_result;
  // Tokens of the test examples whose patterns are stored.
  std::vector<std::vector<int64_t>> m_pattern_examples;
};

// What the recall inspector keeps of one evaluation: the tracked records, every record when
// the run stops after it, and the patterns of the first test examples.
void TrainingSession::store_inspection(LanguageModel& model, std::optional<QueryRecordSet> records,
                                       int64_t step, int64_t epochs, bool final_evaluation) {
  const auto& inspect = m_config.train.inspect;
  auto put = [&](const QueryRecordSet& set) {
    m_store.put_query_records({m_run_id, step, epochs, set.subset, static_cast<int64_t>(set.records.size())},
                              encode_query_records(set));
  };
  if (records) {
    records->step = step;
    records->epoch = epochs;
    if (inspect.tracked_examples > 0) {
      put(tracked_subset(*records, inspect.tracked_examples));
    }
    if (final_evaluation) {
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
    const bool mixing = inspect.mixing_matrix && (final_evaluation || rows <= kEveryEvaluationMixingRows);
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
    m_store.put_patterns(patterns);
  }
}

TrainResult TrainingSession::finish(RunStatus status, const std::string& text) {
  m_store.set_status(m_run_id, status, status == RunStatus::Finished ? std::string() : text);
  m_result.status = status;
  m_result.message = text;
  return m_result;
}

TrainResult TrainingSession::run() {
  const auto& train = m_config.train;
  const bool all_positions = train.lm_head == "all";
  const int threads = configure_threads(m_options.threads);
  m_run_uid = checkpoint_run_uid(m_store, m_run_id);
  m_store.mark_started(m_run_id, static_cast<int64_t>(getpid()),
                       m_device.is_cuda() ? "cuda" : "cpu:" + std::to_string(threads) + " threads");

  // Data first, then the model, as Zoology 0bb9665 does; both are functions of the seeds only.
  const auto vocab_size = m_config.data.vocab_size;
  const auto cache_dir = m_config.data.cache_dir.empty()
                             ? (std::filesystem::path(m_store.files_dir()) / "cache").string()
                             : m_config.data.cache_dir;
  const auto seeds = segment_seeds(m_config.data);
  auto train_segments = load_segments(m_config.data.train, seeds.train, vocab_size, cache_dir);
  auto test_split = make_batches(load_segments(m_config.data.test, seeds.test, vocab_size, cache_dir),
                                 m_config.data.test_batch_size, m_device);

  torch::manual_seed(m_config.seed);
  LanguageModel model(language_model_options(m_config));
  model->to(m_device);
  auto optimizer = make_optimizer(model, m_config);
  int64_t test_len = 0;
  for (const auto& segment : m_config.data.test) {
    test_len = std::max(test_len, segment.input_seq_len);
  }
  m_store.set_model_info(m_run_id, model->num_parameters(), model->state_size(test_len));

  CheckpointPosition position;
  position.run_id = m_run_id;
  position.config_hash = config_hash(m_config);
  position.run_uid = m_run_uid;
  if (m_options.resume) {
    if (const auto checkpoint = m_store.latest_checkpoint(m_run_id)) {
      const auto& path = checkpoint->path;
      // Checksum, header, owner and position are all checked before the payload reaches the model:
      // a batch of -3 would otherwise index before the run's batches.
      const auto file = read_checkpoint_file(path);
      const auto& saved = file.position();
      check_checkpoint_owner(saved, m_run_id, m_run_uid, position.config_hash, path);
      check_epoch_position(saved, train.max_epochs,
                           batches_per_epoch(train_segments, m_config.data.train_batch_size), path);
      restore_checkpoint(file, path, model, optimizer);
      position.epoch = saved.epoch;
      position.batch = saved.batch;
      position.step = saved.step;
      message("resuming at epoch " + std::to_string(position.epoch + 1) + ", batch " +
              std::to_string(position.batch) + " (step " + std::to_string(position.step) + ")");
    } else {
      message("no checkpoint yet: restarting from the beginning");
    }
    // Whatever was logged after the checkpoint is recomputed, identically.
    m_store.truncate_metrics_after(m_run_id, position.step);
  }

  if (train.inspect.pattern_examples > 0) {
    m_pattern_examples = first_examples(test_split, train.inspect.pattern_examples);
  }

  SplitData train_split;
  if (!train.shuffle) {  // one fixed order (Zoology 0bb9665): batch once
    train_split = make_batches(std::move(train_segments), m_config.data.train_batch_size, m_device);
  }
  MetricWriter writer(m_store, m_run_id);
  const auto started = Clock::now();
  int64_t step = position.step;
  m_result.steps = step;
  m_result.epochs = position.epoch;
  m_restoring = false;  // from here on a failure is the run's own

  for (int64_t epoch = position.epoch; epoch < train.max_epochs; ++epoch) {
    if (train.shuffle) {
      const auto order = shuffled_order(train_segments, m_config.data.seed, epoch);
      train_split = make_batches(train_segments, m_config.data.train_batch_size, m_device, &order);
    }
    const double learning_rate = cosine_learning_rate(train.learning_rate, epoch, train.max_epochs);
    set_learning_rate(optimizer, learning_rate);
    model->train();
    const auto epoch_start = Clock::now();
    double loss_sum = 0.0;
    int64_t epoch_steps = 0, epoch_examples = 0;
    const auto num_batches = static_cast<int64_t>(train_split.batches.size());
    for (int64_t b = epoch == position.epoch ? position.batch : 0; b < num_batches; ++b) {
      const auto& batch = train_split.batches[b];
      const auto losses = train_step(model, optimizer, batch, all_positions);
      ++step;
      ++epoch_steps;
      epoch_examples += batch.inputs.size(0);
      loss_sum += losses.loss;
      const double wall = std::chrono::duration<double>(Clock::now() - started).count();
      writer.add("train/loss", step, losses.loss, epoch, wall);
      m_result.steps = step;
      if (!std::isfinite(losses.loss)) {
        writer.flush(epoch, step);
        return finish(RunStatus::Diverged, "loss became " + std::to_string(losses.loss) + " at step " +
                                               std::to_string(step) + " (epoch " + std::to_string(epoch + 1) +
                                               ")");
      }
      writer.flush_if_due(epoch, step);
      if (m_options.on_step) {
        m_options.on_step(step, losses.loss);
      }
      if (stop_requested()) {
        writer.flush(epoch, step);
        write_checkpoint(m_store, {m_run_id, epoch, b + 1, step, position.config_hash, m_run_uid}, model,
                         optimizer);
        return finish(RunStatus::Cancelled, "stopped on request at step " + std::to_string(step) +
                                                "; resume with `zoolab-cli resume " +
                                                std::to_string(m_run_id) + "`");
      }
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();

    // Every record is kept in memory at each evaluation (a small cost, bench_recording) since only the
    // metrics tell whether the run stops after it; the store gets them all only then.
    std::optional<RecordRequest> request;
    if (train.inspect.records) {
      request = RecordRequest{"all", 0};
    }
    auto evaluation = evaluate(model, test_split, train, request);
    const auto& metrics = evaluation.metrics;
    const double wall = std::chrono::duration<double>(Clock::now() - started).count();
    for (const auto& [key, value] : metrics) {
      writer.add(key, step, value, epoch, wall);
    }
    writer.add("epoch", step, static_cast<double>(epoch), epoch, wall);
    writer.add("train/learning_rate", step, learning_rate, epoch, wall);
    // The epoch counts as completed (progress epoch + 1) only once its checkpoint exists, below: a
    // trainer killed in between resumes from the previous one, as `epochs` says.
    writer.flush(epoch, step);
    m_result.epochs = epoch + 1;
    m_result.metrics = metrics;

    const auto found = metrics.find(train.early_stopping_metric);
    const bool early_stop = found != metrics.end() && found->second > train.early_stopping_threshold;
    const bool stopping = stop_requested();  // a stop honoured after this evaluation makes it the last
    store_inspection(model, std::move(evaluation.records), step, epoch + 1,
                     early_stop || stopping || epoch + 1 == train.max_epochs);

    if (m_options.on_epoch) {
      EpochReport report;
      report.epoch = epoch;
      report.max_epochs = train.max_epochs;
      report.step = step;
      report.learning_rate = learning_rate;
      report.train_loss = epoch_steps > 0 ? loss_sum / static_cast<double>(epoch_steps) : NAN;
      report.seconds = seconds;
      report.examples_per_s = seconds > 0 ? static_cast<double>(epoch_examples) / seconds : 0.0;
      report.metrics = metrics;
      m_options.on_epoch(report);
    }
    write_checkpoint(m_store, {m_run_id, epoch + 1, 0, step, position.config_hash, m_run_uid}, model,
                     optimizer);
    m_store.set_progress(m_run_id, epoch + 1, step);

    if (early_stop) {
      return finish(RunStatus::Finished, "early stop after epoch " + std::to_string(epoch + 1) + ": " +
                                             train.early_stopping_metric + " " +
                                             std::to_string(found->second) + " > " +
                                             std::to_string(train.early_stopping_threshold));
    }
    if (stopping || stop_requested()) {
      return finish(RunStatus::Cancelled, "stopped on request after epoch " + std::to_string(epoch + 1) +
                                              "; resume with `zoolab-cli resume " + std::to_string(m_run_id) +
                                              "`");
    }
  }
  return finish(RunStatus::Finished, "finished " + std::to_string(train.max_epochs) + " epochs");
}

}  // namespace

TrainResult train_run(Store& store, int64_t run_id, const RunConfig& config, const TrainOptions& options) {
  // True while a resumed run is being restored (checkpoint, data, model), until its first new step.
  bool restoring = options.resume;
  try {
    if (is_text_task(config.data)) {
      return train_text_run(store, run_id, config, options, restoring);
    }
    TrainingSession session(store, run_id, config, options, restoring);
    return session.run();
  } catch (const StoreError&) {
    throw;
  } catch (const std::exception& error) {
    // A resume that fails before changing anything leaves the run as it was: resumable.
    const auto status = restoring ? RunStatus::Interrupted : RunStatus::Failed;
    const std::string text = error.what();
    store.set_status(run_id, status, text);
    TrainResult result;
    result.status = status;
    result.message = text;
    result.input_error = dynamic_cast<const InputError*>(&error) != nullptr ||
                         dynamic_cast<const ConfigError*>(&error) != nullptr;
    return result;
  }
}

}  // namespace zoolab
