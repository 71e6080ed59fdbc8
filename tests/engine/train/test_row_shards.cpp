// Training steps and evaluations on row shards in parallel threads (engine/train/row_shards.h) against
// the same on the whole batch: the same losses, dropout masks, generator draws and weights, step after
// step, for the Figure 2 mixers that shard; the same metrics and records, bit for bit; and when a batch
// shards at all.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include <ATen/Parallel.h>

#include "engine/config/run_config.h"
#include "engine/inspect/query_records.h"
#include "engine/train/evaluation.h"
#include "engine/train/model_setup.h"
#include "engine/train/row_shards.h"
#include "engine/train/train_step.h"
#include "kernels/packed_product.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

constexpr int64_t kShardVocab = 64;
constexpr int64_t kShardLength = 16;

// Restores the thread count a test changed.
class ScopedThreadCount {
 public:
  explicit ScopedThreadCount(int threads) : m_saved(at::get_num_threads()) { at::set_num_threads(threads); }
  ~ScopedThreadCount() { at::set_num_threads(m_saved); }
  ScopedThreadCount(const ScopedThreadCount&) = delete;
  ScopedThreadCount& operator=(const ScopedThreadCount&) = delete;

 private:
  int m_saved;
};

LanguageModel shard_test_model(const std::string& mixer, const nlohmann::json& kwargs,
                               torch::ScalarType dtype, const std::string& block_type = "transformer") {
  LanguageModelOptions options;
  options.block_type = block_type;
  options.vocab_size = kShardVocab;
  options.d_model = 32;
  options.n_layers = 2;
  options.l_max = kShardLength;
  options.max_position_embeddings = mixer == "attention" ? kShardLength : 0;
  options.embed_dropout = 0.1;
  options.sequence_mixer = mixer;
  options.sequence_mixer_kwargs = kwargs;
  torch::manual_seed(5);
  LanguageModel model(options);
  model->to(dtype);
  model->train();
  return model;
}

// `rows` random sequences with three labelled positions each, except the rows in [bare_first, bare_end).
Batch shard_test_batch(int64_t rows, int64_t bare_first = 0, int64_t bare_end = 0) {
  torch::manual_seed(9);
  Batch batch;
  batch.inputs = torch::randint(kShardVocab, {rows, kShardLength}, torch::kLong);
  batch.labels = torch::full({rows, kShardLength}, -100, torch::kLong);
  for (int64_t row = 0; row < rows; ++row) {
    if (row >= bare_first && row < bare_end) {
      continue;
    }
    for (const int64_t t : {kShardLength / 2, kShardLength - 4, kShardLength - 1}) {
      batch.labels[row][t] = torch::randint(kShardVocab, {}, torch::kLong);
    }
  }
  batch.positions = batch.labels.view({-1}).ne(-100).nonzero().view({-1});   // (N,)
  batch.targets = batch.labels.view({-1}).index_select(0, batch.positions);  // (N,)
  batch.example_of = batch.positions.div(kShardLength, "floor");             // (N,)
  return batch;
}

struct ShardCase {
  std::string mixer;
  nlohmann::json kwargs;
  std::string block_type = "transformer";
};

void PrintTo(const ShardCase& c, std::ostream* os) {
  *os << c.mixer;
}

class ShardedStep : public ::testing::TestWithParam<ShardCase> {};

// Three steps of the same model on the same batch, whole (1 thread) and in 4 shards (4 threads).
TEST_P(ShardedStep, MatchesTheWholeBatchStepWithItsDropoutMasks) {
  for (const auto& [rows, bare_first, bare_end] :
       std::vector<std::tuple<int64_t, int64_t, int64_t>>{{128, 0, 0}, {131, 40, 70}}) {
    SCOPED_TRACE("rows " + std::to_string(rows) + ", unlabelled rows " + std::to_string(bare_first) + ".." +
                 std::to_string(bare_end));
    const auto batch = shard_test_batch(rows, bare_first, bare_end);
    RunConfig config;
    config.train.learning_rate = 1e-2;
    const auto& param = GetParam();
    auto whole = shard_test_model(param.mixer, param.kwargs, torch::kDouble, param.block_type);
    auto sharded = shard_test_model(param.mixer, param.kwargs, torch::kDouble, param.block_type);
    auto whole_optimizer = make_optimizer(whole, config);
    auto sharded_optimizer = make_optimizer(sharded, config);
    for (int step = 0; step < 3; ++step) {
      // One step at `threads` threads from the same seed: its loss and the generator's next draw.
      auto step_at = [&](LanguageModel& model, torch::optim::AdamW& optimizer, int threads) {
        const ScopedThreadCount count(threads);
        EXPECT_EQ(row_shards(model, batch), threads);
        torch::manual_seed(100 + step);
        const double loss = train_step(model, optimizer, batch, /*all_positions=*/false).loss;
        return std::make_pair(loss, torch::randint(1 << 30, {}, torch::kLong).item<int64_t>());
      };
      const auto [expected, expected_draw] = step_at(whole, whole_optimizer, 1);
      const auto [got, got_draw] = step_at(sharded, sharded_optimizer, 4);
      // The same masks give the same loss to rounding; another mask moves it by ~1e-2.
      EXPECT_NEAR(got, expected, 1e-12 * std::abs(expected)) << "step " << step;
      EXPECT_EQ(got_draw, expected_draw) << "the shards drew other seeds than the whole step, step " << step;
    }
    const auto expected_weights = whole->named_parameters();
    for (const auto& item : sharded->named_parameters()) {
      const auto& reference = expected_weights[item.key()];
      const double scale = std::max(1e-3, reference.abs().max().item<double>());
      EXPECT_LT((item.value() - reference).abs().max().item<double>() / scale, 1e-9) << item.key();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Mixers, ShardedStep,
    ::testing::Values(
        ShardCase{"attention", {{"dropout", 0.1}, {"num_heads", 2}}},
        ShardCase{"base_conv", {{"kernel_size", {3, -1}}, {"implicit_long_conv", true}}},
        ShardCase{"hyena", nlohmann::json::object()}, ShardCase{"h3", nlohmann::json::object()},
        ShardCase{"hybrid",
                  {{"configs",
                    {{{"name", "base_conv"}, {"kwargs", {{"kernel_size", 3}}}},
                     {{"name", "based"}, {"kwargs", {{"feature_dim", 8}, {"train_view", "quadratic"}}}}}}}},
        ShardCase{"rwkv", nlohmann::json::object()}, ShardCase{"mamba", nlohmann::json::object(), "mamba"},
        // The modern zoo, each with its defaults.
        ShardCase{"delta_net", nlohmann::json::object()},
        ShardCase{"gated_delta_net", nlohmann::json::object()}, ShardCase{"gla", nlohmann::json::object()},
        ShardCase{"mamba2", nlohmann::json::object(), "mamba2"}, ShardCase{"rwkv7", nlohmann::json::object()},
        ShardCase{"ttt", nlohmann::json::object()}, ShardCase{"nsa", nlohmann::json::object()}),
    [](const auto& info) { return info.param.mixer; });

// Briefly trains a tiny model, evaluates its test split (batches of test_batch rows) on one thread and on
// `threads`, which must shard it, and expects the same metrics and query records bit for bit.
void expect_sharded_evaluation_is_whole(const std::string& mixer, const std::string& lm_head,
                                        int64_t test_batch, int64_t test_examples, int threads) {
  const auto dir = train_test::temp_dir("row-shards-eval");
  auto json = train_test::tiny_config_json(mixer);
  json["data"]["batch_size"] = nlohmann::json::array({32, test_batch});
  json["data"]["test"][0]["num_examples"] = test_examples;
  json["train"]["lm_head"] = lm_head;
  const auto config = parse_run_config(json);
  const auto [split, train] = train_test::cpu_splits(config, (dir / "cache").string());
  auto model = train_test::briefly_trained_model(config, train, lm_head == "all");
  EvaluationResult whole, sharded;
  {
    const ScopedThreadCount one(1);
    whole = evaluate(model, split, config.train, RecordRequest{"all", 0});
  }
  {
    const ScopedThreadCount several(threads);
    ASSERT_EQ(row_shards(model, split.batches.at(0)), threads);
    sharded = evaluate(model, split, config.train, RecordRequest{"all", 0});
  }
  ASSERT_EQ(sharded.metrics.size(), whole.metrics.size());
  for (const auto& [key, value] : whole.metrics) {
    EXPECT_EQ(sharded.metrics.at(key), value) << key;
  }
  ASSERT_TRUE(whole.records && sharded.records);
  EXPECT_TRUE(encode_query_records(*sharded.records) == encode_query_records(*whole.records))
      << "the records differ";
  std::filesystem::remove_all(dir);
}

TEST(ShardedEvaluation, GivesTheWholeBatchMetricsAndRecordsBitForBit) {
  for (const std::string mixer : {"attention", "base_conv"}) {
    for (const std::string lm_head : {"labelled", "all"}) {
      SCOPED_TRACE(mixer + ", lm_head " + lm_head);
      if (lm_head == "all" && !kernels::packed_product_available()) {
        continue;  // the head at every row then runs on BLAS, whose rows' bits may depend on their count
      }
      // Test batches of 96 rows (3 shards) and 4 (whole).
      expect_sharded_evaluation_is_whole(mixer, lm_head, 96, 100, 3);
    }
  }
}

// A batch of 300 rows on 2 threads runs as 4 shards of about 64 rows (evaluation.cpp), two per thread.
TEST(ShardedEvaluation, SeveralShardsPerThreadGiveTheWholeBatchRecordsBitForBit) {
  expect_sharded_evaluation_is_whole("attention", "labelled", 300, 300, 2);
}

TEST(StepShards, OneShardPerThreadWhenEveryThreadGetsMinRows) {
  const auto model = shard_test_model("attention", {{"dropout", 0.1}}, torch::kFloat);
  const ScopedThreadCount threads(4);
  EXPECT_EQ(row_shards(model, shard_test_batch(4 * kMinShardRows - 1)), 1)
      << "a thread without its share would idle where the whole batch uses it";
  EXPECT_EQ(row_shards(model, shard_test_batch(4 * kMinShardRows)), 4);
  EXPECT_EQ(row_shards(model, shard_test_batch(40 * kMinShardRows + 5)), 4);
  {
    const ScopedThreadCount one(1);
    EXPECT_EQ(row_shards(model, shard_test_batch(40 * kMinShardRows)), 1);
  }
  EXPECT_EQ(row_shards(model, shard_test_batch(4 * kMinShardRows, 0, 4 * kMinShardRows)), 1)
      << "a batch without labels runs whole";
}

TEST(StepShards, ModelsThatCannotShardRunWhole) {
  const ScopedThreadCount threads(2);
  const auto batch = shard_test_batch(4 * kMinShardRows);
  // Hyena's own dropout draws from torch's generator, so its order would depend on the threads.
  EXPECT_EQ(row_shards(shard_test_model("hyena", {{"dropout", 0.1}}, torch::kFloat), batch), 1);
  EXPECT_EQ(row_shards(shard_test_model("hyena", nlohmann::json::object(), torch::kFloat), batch), 2);
  // Capturing patterns writes members: a capturing model runs whole.
  auto capturing = shard_test_model("hybrid",
                                    {{"configs",
                                      {{{"name", "base_conv"}, {"kwargs", {{"kernel_size", 3}}}},
                                       {{"name", "based"}, {"kwargs", {{"feature_dim", 8}}}}}}},
                                    torch::kFloat);
  EXPECT_EQ(row_shards(capturing, batch), 2);
  capturing->set_capture(true);
  EXPECT_EQ(row_shards(capturing, batch), 1);
  capturing->set_capture(false);
  capturing->backbone->layers[0]->as<BlockImpl>()->set_capture_mixer_input(true);
  EXPECT_EQ(row_shards(capturing, batch), 1);
  // A mixer that has not declared itself shardable (sliding-window attention caches its mask).
  EXPECT_EQ(row_shards(shard_test_model("sliding_window", nlohmann::json::object(), torch::kFloat), batch),
            1);
}

}  // namespace
}  // namespace zoolab
