#pragma once

// One tiny attention MQAR run trained to (near) perfect recall, shared by the pattern and probe tests:
// trained once per test process on first use, in a temporary database removed at exit.

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/train/trainer.h"
#include "train_test_support.h"

namespace zoolab::train_test {

// L=24, 3 kv pairs, V=64, d_model 64, 2 layers of 2-head attention with learned positions. Recall
// appears abruptly (the induction circuit forms) after about 18 epochs of 8192 examples at a nearly
// constant learning rate, then the run stops early at 0.99; ~25 s on one thread. (With 2 kv pairs the
// model finds a shortcut that does not look at the value after the key.)
inline nlohmann::json attention_recall_config_json() {
  const nlohmann::json segment = {{"input_seq_len", 24}, {"num_kv_pairs", 3}, {"random_non_queries", false}};
  auto train = segment;
  train["num_examples"] = 8192;
  auto test = segment;
  test["num_examples"] = 64;
  return {
      {"name", "tiny-attention-recall"},
      {"seed", 11},
      {"data",
       {{"vocab_size", 64},
        {"batch_size", nlohmann::json::array({64, 64})},
        {"seed", 2},
        {"train", nlohmann::json::array({train})},
        {"test", nlohmann::json::array({test})}}},
      {"model",
       {{"d_model", 64},
        {"n_layers", 2},
        {"max_position_embeddings", 24},
        {"sequence_mixer", {{"name", "attention"}, {"kwargs", {{"num_heads", 2}, {"dropout", 0.0}}}}},
        {"state_mixer", {{"name", "identity"}, {"kwargs", nlohmann::json::object()}}}}},
      {"train",
       {{"max_epochs", 200},
        {"learning_rate", 3e-3},
        {"early_stopping_threshold", 0.99},
        {"inspect", {{"pattern_examples", 0}, {"tracked_examples", 0}, {"records", false}}}}},
  };
}

struct TrainedRun {
  std::filesystem::path dir;
  std::string database;
  int64_t run = 0;
  RunConfig config;
  TrainResult result;

  ~TrainedRun() {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
};

inline const TrainedRun& trained_attention_run() {
  static const std::unique_ptr<TrainedRun> trained = [] {
    auto t = std::make_unique<TrainedRun>();
    t->dir = temp_dir("attention-recall");
    t->database = (t->dir / "runs.sqlite").string();
    t->config = parse_run_config(attention_recall_config_json());
    Store store(t->database);
    t->run = create_run(store, t->config);
    TrainOptions options;
    options.threads = 1;
    t->result = train_run(store, t->run, t->config, options);
    return t;
  }();
  return *trained;
}

}  // namespace zoolab::train_test
