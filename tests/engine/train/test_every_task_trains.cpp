// Every registered task trains: a small attention model, through the real trainer, reaches well above
// chance on an easy setting of each task within seconds (chance: always predicting the test labels' most
// frequent token). A task registered without an easy setting here fails the test, so new tasks join it.
// Also: a run whose segments mix tasks reports each task's accuracy apart.

#include <algorithm>
#include <map>

#include <gtest/gtest.h>

#include "engine/data/task_registry.h"
#include "engine/data/tasks/mqar.h"
#include "engine/train/trainer.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

using nlohmann::json;

struct EasySetting {
  int64_t vocab_size = 0;
  json segment;                     // input_seq_len and parameters, for train and test
  json test_only = json::object();  // what the test segment changes (MAD's is_training)
  int64_t max_epochs = 24;
};

// Settings that a 2-layer attention model of width 32 learns in 24 epochs of 2,048 examples (measured with
// `zoolab-cli train`: every task ends at least 0.18 above chance, most far more). in_context_recall gets
// 48: at 24 it learns with some seeds and stays at chance with others (seeds 7 and 9 of 7-12, with the
// plain torch attention and optimizer as with the fused ones), a phase change that rounding alone can
// move past the budget; at 48 every one of those seeds learns it.
const std::map<std::string, EasySetting>& easy_settings() {
  static const std::map<std::string, EasySetting> settings = {
      {"mqar", {64, {{"input_seq_len", 16}, {"num_kv_pairs", 2}, {"random_non_queries", false}}}},
      {"forgetting_mqar",
       {64, {{"input_seq_len", 16}, {"num_kv_pairs", 2}, {"num_updates", 1}, {"random_non_queries", false}}}},
      {"compositional_mqar",
       {66, {{"input_seq_len", 24}, {"num_kv_pairs", 4}, {"random_non_queries", false}}}},
      {"parity", {3, {{"input_seq_len", 3}}}},
      {"majority", {3, {{"input_seq_len", 8}}}},
      {"cumulative_parity", {2, {{"input_seq_len", 4}}}},
      {"cumulative_majority", {2, {{"input_seq_len", 8}}}},
      {"in_context_recall", {16, {{"input_seq_len", 16}}, {{"is_training", false}}, 48}},
      {"fuzzy_in_context_recall",
       {16,
        {{"input_seq_len", 24}, {"k_motif_size", 2}, {"v_motif_size", 1}, {"is_training", false}},
        {{"is_training", false}}}},
      {"noisy_in_context_recall",
       {24, {{"input_seq_len", 16}, {"noise_vocab_size", 8}, {"frac_noise", 0.2}}, {{"is_training", false}}}},
      {"selective_copying", {16, {{"input_seq_len", 16}, {"num_tokens_to_copy", 4}}}},
      {"compression", {16, {{"input_seq_len", 16}}}},
      {"memorization", {24, {{"input_seq_len", 16}}}},
  };
  return settings;
}

json segment_json(const std::string& task, const json& fields, int64_t examples) {
  json segment = fields;
  segment["task"] = task;
  segment["num_examples"] = examples;
  return segment;
}

json easy_config(const std::string& task, const EasySetting& easy) {
  json test = segment_json(task, easy.segment, 256);
  test.update(easy.test_only);
  return {{"name", "easy-" + task},
          {"seed", 7},
          {"data",
           {{"vocab_size", easy.vocab_size},
            {"batch_size", json::array({32, 64})},
            {"seed", 1},
            {"train", json::array({segment_json(task, easy.segment, 2048)})},
            {"test", json::array({test})}}},
          {"model",
           {{"d_model", 32},
            {"n_layers", 2},
            {"max_position_embeddings", 0},
            {"sequence_mixer", {{"name", "attention"}, {"kwargs", {{"num_heads", 1}, {"dropout", 0.0}}}}},
            {"state_mixer", {{"name", "mlp"}, {"kwargs", {{"hidden_mult", 2}}}}}}},
          {"train",
           {{"max_epochs", easy.max_epochs}, {"learning_rate", 3e-3}, {"early_stopping_threshold", 1.5}}}};
}

// The share of the test split's labels held by its most frequent label.
double chance(const RunConfig& config) {
  const auto seeds = segment_seeds(config.data);
  std::map<int64_t, int64_t> counts;
  int64_t total = 0;
  for (size_t s = 0; s < config.data.test.size(); ++s) {
    const TokenSegment segment = generate_segment(config.data.test[s], config.data.vocab_size, seeds.test[s]);
    for (const int64_t label : segment.labels) {
      if (label != kIgnoreLabel) {
        ++counts[label];
        ++total;
      }
    }
  }
  int64_t most = 0;
  for (const auto& [label, count] : counts) {
    most = std::max(most, count);
  }
  return static_cast<double>(most) / static_cast<double>(total);
}

// The run's metrics at its last evaluation, by key.
std::map<std::string, double> train_and_evaluate(const RunConfig& config, const std::string& dir_name) {
  const auto dir = train_test::temp_dir(dir_name);
  std::map<std::string, double> last;
  {
    Store store((dir / "runs.sqlite").string());
    const auto run = train_test::create_run(store, config);
    TrainOptions options;
    options.threads = 1;
    const auto result = train_run(store, run, config, options);
    EXPECT_EQ(result.status, RunStatus::Finished) << result.message;
    for (const auto& point : store.metrics(run)) {
      last[point.key] = point.value;
    }
  }
  std::filesystem::remove_all(dir);
  return last;
}

class EveryTaskTrains : public ::testing::TestWithParam<std::string> {};

TEST_P(EveryTaskTrains, AttentionLearnsAnEasySettingWellAboveChance) {
  const auto found = easy_settings().find(GetParam());
  ASSERT_NE(found, easy_settings().end()) << "give task " << GetParam() << " an easy setting here";
  const RunConfig config = parse_run_config(easy_config(GetParam(), found->second));
  const double baseline = chance(config);
  const auto metrics = train_and_evaluate(config, "every-task");
  ASSERT_EQ(metrics.count("valid/accuracy"), 1u);
  EXPECT_GT(metrics.at("valid/accuracy"), baseline + 0.15)
      << GetParam() << ": accuracy " << metrics.at("valid/accuracy") << ", chance " << baseline;
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryTaskTrains, ::testing::ValuesIn(task_names()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

TEST(MixedTaskRun, ReportsEachTasksAccuracyApart) {
  json config = easy_config("mqar", easy_settings().at("mqar"));
  config["data"]["train"].push_back(segment_json("parity", {{"input_seq_len", 3}}, 512));
  config["data"]["test"].push_back(segment_json("parity", {{"input_seq_len", 3}}, 128));
  config["train"]["max_epochs"] = 2;
  config["train"]["slice_keys"] = json::array({"input_seq_len"});
  const auto metrics = train_and_evaluate(parse_run_config(config), "mixed-task");
  ASSERT_EQ(metrics.count("valid/mqar/accuracy"), 1u);
  ASSERT_EQ(metrics.count("valid/parity/accuracy"), 1u);
  // The overall accuracy is the mean over every test example: 256 of MQAR, 128 of parity.
  EXPECT_NEAR(metrics.at("valid/accuracy"),
              (256 * metrics.at("valid/mqar/accuracy") + 128 * metrics.at("valid/parity/accuracy")) / 384.0,
              1e-9);
  // Slices keep the lengths apart too.
  EXPECT_EQ(metrics.count("valid/input_seq_len/accuracy-3"), 1u);
  EXPECT_EQ(metrics.count("valid/input_seq_len/accuracy-16"), 1u);
}

}  // namespace
}  // namespace zoolab
