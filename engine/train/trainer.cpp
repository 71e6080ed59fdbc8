#include "engine/train/trainer.h"

#include <cstdio>
#include <thread>

#include <torch/torch.h>

#include "engine/data/dataset_cache.h"
#include "engine/train/mqar_trainer.h"
#include "engine/train/text_trainer.h"
#include "engine/train/training_session.h"

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

TrainResult train_run(Store& store, int64_t run_id, const RunConfig& config, const TrainOptions& options) {
  TrainingSession session(&store, run_id, config, options);
  return session.run(is_text_task(config.data) ? make_text_task : make_mqar_task);
}

TrainResult train_run_rank(int64_t run_id, const RunConfig& config, const TrainOptions& options) {
  TrainingSession session(nullptr, run_id, config, options);
  return session.run(is_text_task(config.data) ? make_text_task : make_mqar_task);
}

}  // namespace zoolab
