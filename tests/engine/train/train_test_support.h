#pragma once

// Helpers for the training tests: a temporary database and tiny MQAR configurations that train in
// well under a second per epoch.

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"
#include "engine/data/tasks/mqar.h"
#include "engine/store/store.h"
#include "engine/train/batches.h"
#include "engine/train/model_setup.h"
#include "engine/train/stop_request.h"
#include "engine/train/train_step.h"
#include "engine/train/trainer.h"
#include "models/registry.h"

namespace zoolab::train_test {

// A whole file as bytes, and bytes written over a file (the damaged-file tests).
inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Every registered sequence mixer's name (the tests run over the whole registry).
inline std::vector<std::string> sequence_mixers() {
  std::vector<std::string> names;
  for (const auto& spec : mixer_registry()) {
    if (spec.kind == MixerKind::Sequence) {
      names.push_back(spec.name);
    }
  }
  return names;
}

inline std::filesystem::path temp_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("zoolab-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  std::filesystem::create_directories(dir);
  return dir;
}

// A fresh run database in its own folder per test, with no stop request pending around it.
class TrainingStoreTest : public ::testing::Test {
 protected:
  explicit TrainingStoreTest(std::string name) : m_name(std::move(name)) {}
  void SetUp() override {
    clear_stop_request();
    m_dir = temp_dir(m_name);
    m_store = std::make_unique<Store>((m_dir / "runs.sqlite").string());
  }
  void TearDown() override {
    clear_stop_request();
    m_store.reset();
    std::filesystem::remove_all(m_dir);
  }
  // One thread: the tests' numbers do not depend on the machine.
  TrainOptions options() const {
    TrainOptions o;
    o.threads = 1;
    return o;
  }

  std::string m_name;
  std::filesystem::path m_dir;
  std::unique_ptr<Store> m_store;
};

// A 2-layer model on MQAR with L=16, 2 kv pairs, V=64.
inline nlohmann::json tiny_config_json(const std::string& mixer = "attention") {
  nlohmann::json kwargs = mixer == "attention"
                              ? nlohmann::json{{"num_heads", 1}, {"dropout", 0.1}}
                              : nlohmann::json{{"kernel_size", nlohmann::json::array({3, -1})}};
  return {
      {"name", "tiny-" + mixer},
      {"seed", 7},
      {"data",
       {{"vocab_size", 64},
        {"batch_size", nlohmann::json::array({32, 64})},
        {"seed", 1},
        {"train", nlohmann::json::array({{{"input_seq_len", 16},
                                          {"num_kv_pairs", 2},
                                          {"num_examples", 256},
                                          {"random_non_queries", false}}})},
        {"test", nlohmann::json::array({{{"input_seq_len", 16},
                                         {"num_kv_pairs", 2},
                                         {"num_examples", 64},
                                         {"random_non_queries", false}},
                                        {{"input_seq_len", 16},
                                         {"num_kv_pairs", 3},
                                         {"num_examples", 32},
                                         {"random_non_queries", false}}})}}},
      {"model",
       {{"d_model", 32},
        {"n_layers", 2},
        {"max_position_embeddings", mixer == "attention" ? 16 : 0},
        {"sequence_mixer", {{"name", mixer}, {"kwargs", kwargs}}},
        {"state_mixer", {{"name", "identity"}, {"kwargs", nlohmann::json::object()}}}}},
      {"train",
       {{"max_epochs", 3},
        {"learning_rate", 3e-3},
        {"slice_keys", nlohmann::json::array({"num_kv_pairs"})},
        {"early_stopping_threshold", 1.5}}},
  };
}

// A configuration's test and train splits on the CPU, their segments cached in `cache`.
struct Splits {
  SplitData test;
  SplitData train;
};
inline Splits cpu_splits(const RunConfig& config, const std::string& cache) {
  const auto seeds = segment_seeds(config.data);
  return {make_batches(load_segments(config.data.test, seeds.test, config.data.vocab_size, cache),
                       config.data.test_batch_size, torch::kCPU),
          make_batches(load_segments(config.data.train, seeds.train, config.data.vocab_size, cache),
                       config.data.train_batch_size, torch::kCPU)};
}

// A model of `config` (seed 5) after one pass over `train`, so that its predictions vary.
inline LanguageModel briefly_trained_model(const RunConfig& config, const SplitData& train,
                                           bool all_positions) {
  torch::manual_seed(5);
  LanguageModel model(language_model_options(config));
  auto optimizer = make_optimizer(model, config);
  model->train();
  for (const auto& batch : train.batches) {
    train_step(model, optimizer, batch, all_positions);
  }
  return model;
}

inline int64_t create_run(Store& store, const RunConfig& config) {
  NewRun run;
  run.name = config.name;
  run.task = "mqar";
  run.mixer = config.model.sequence_mixer.name;
  run.config_json = to_json(config).dump();
  run.seed = static_cast<int64_t>(config.seed);
  return store.create_run(run);
}

}  // namespace zoolab::train_test
