// Evaluation's blocked outputs (engine/train/labelled_outputs.h) against the plain computation they replace:
// log_softmax of the whole (N, V) logits gathered at the targets (to float rounding in float32, bit for bit
// in double, where ATen computes them), argmax and cross_entropy; and a whole evaluation against a plain one
// written out here (metrics and per-query records).

#include <cmath>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/train/batches.h"
#include "engine/train/evaluation.h"
#include "engine/train/labelled_outputs.h"
#include "engine/train/model_setup.h"
#include "engine/train/train_step.h"
#include "engine/train/trainer.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

using train_test::briefly_trained_model;
using train_test::cpu_splits;
using train_test::temp_dir;
using train_test::tiny_config_json;

TEST(LabelledOutputsTest, MatchesWholeTensorLogSoftmaxArgmaxAndCrossEntropy) {
  torch::manual_seed(11);
  struct Size {
    int64_t rows, vocab, block;
  };
  // Row counts not multiples of the block, one row per block, one block for everything, V of the presets.
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    for (const auto size : {Size{130, 37, 64}, Size{130, 37, 1}, Size{130, 37, 500}, Size{333, 8192, 64}}) {
      auto logits = torch::randn({size.rows, size.vocab}, torch::TensorOptions().dtype(dtype)) * 4;  // (N, V)
      // Ties: column 5 repeats every row's maximum, so argmax must keep the first of the two.
      logits.select(1, 5).copy_(std::get<0>(logits.max(1)));
      logits[3].fill_(0.5);                                                        // a row of equal logits
      const auto targets = torch::randint(size.vocab, {size.rows}, torch::kLong);  // (N,)
      const auto outputs = labelled_outputs(logits, targets, size.block);

      const auto log_probs = torch::log_softmax(logits, 1);  // (N, V)
      const std::string what = std::string(dtype == torch::kFloat ? "float" : "double") +
                               " N=" + std::to_string(size.rows) + " V=" + std::to_string(size.vocab) +
                               " block=" + std::to_string(size.block);
      const auto expected = log_probs.gather(1, targets.unsqueeze(1)).squeeze(1);  // (N,)
      const auto loss = torch::nn::functional::cross_entropy(logits, targets).item<double>();
      if (dtype == torch::kFloat) {  // kernels/softmax_rows.h: its exp and its order of sums
        EXPECT_TRUE(torch::allclose(outputs.target_log_probs, expected, 1e-6, 2e-6)) << what;
        EXPECT_NEAR(cross_entropy_of(outputs).item<double>(), loss, 1e-6 * std::abs(loss)) << what;
      } else {  // ATen's own log_softmax
        EXPECT_TRUE(torch::equal(outputs.target_log_probs, expected)) << what;
        EXPECT_EQ(cross_entropy_of(outputs).item<double>(), loss) << what;
      }
      EXPECT_TRUE(torch::equal(outputs.predictions, logits.argmax(-1))) << what;
    }
  }
  EXPECT_THROW(labelled_outputs(torch::zeros({4, 3}), torch::zeros({4}, torch::kLong), 0),
               std::invalid_argument);
  EXPECT_THROW(labelled_outputs(torch::zeros({4, 3}), torch::zeros({5}, torch::kLong)),
               std::invalid_argument);
  EXPECT_THROW(labelled_outputs(torch::zeros({4, 3}), torch::full({4}, 3, torch::kLong)),
               std::invalid_argument);
}

TEST(LabelledOutputsTest, FromHiddenStatesEveryRowGetsTheSameBitsWhateverItsBlock) {
  torch::manual_seed(12);
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    const auto options = torch::TensorOptions().dtype(dtype);
    const auto hidden = torch::randn({333, 64}, options);                         // (N, D)
    const auto weight = torch::randn({8192, 64}, options);                        // (V, D)
    const auto targets = torch::randint(8192, {333}, torch::kLong);               // (N,)
    const auto whole = labelled_outputs(torch::mm(hidden, weight.t()), targets);  // one product of N rows
    const auto one_block = labelled_outputs_of_hidden(hidden, weight, targets, 333);
    // kernels/packed_product.h sums each logit in its own order: to rounding BLAS's.
    EXPECT_TRUE(torch::allclose(one_block.target_log_probs, whole.target_log_probs, 1e-6, 1e-5));
    EXPECT_TRUE(torch::equal(one_block.predictions, whole.predictions));
    // Blocks of one row, of a few, of the default and larger than N: the same bits for every row where
    // the packed product computes the logits; through BLAS, its own row independence at most.
    const bool packed_logits = dtype == torch::kFloat && kernels::packed_product_available();
    for (const int64_t block : {1, 3, 64, 500}) {
      const auto outputs = labelled_outputs_of_hidden(hidden, weight, targets, block);
      if (packed_logits) {
        EXPECT_TRUE(torch::equal(outputs.target_log_probs, one_block.target_log_probs)) << "block " << block;
      } else {
        EXPECT_TRUE(torch::allclose(outputs.target_log_probs, one_block.target_log_probs, 1e-12, 1e-12))
            << "block " << block;
      }
      EXPECT_TRUE(torch::equal(outputs.predictions, one_block.predictions)) << "block " << block;
    }
    // A weight packed once by the caller (as evaluation does) gives the same bits; another head's is refused.
    if (const auto packed = kernels::pack_weight(weight)) {
      const auto outputs = labelled_outputs_of_hidden(hidden, weight, targets, 64, &*packed);
      EXPECT_TRUE(torch::equal(outputs.target_log_probs, one_block.target_log_probs));
      const auto other = kernels::pack_weight(weight.narrow(0, 0, 100).contiguous());
      EXPECT_THROW(labelled_outputs_of_hidden(hidden, weight, targets, 64, &*other), std::invalid_argument);
    }
  }
  EXPECT_THROW(
      labelled_outputs_of_hidden(torch::zeros({4, 3}), torch::zeros({5, 2}), torch::zeros({4}, torch::kLong)),
      std::invalid_argument);
}

// The evaluation as it was written before the blocked outputs: whole logits, cross_entropy, argmax, host
// sums per batch (docs/reference.md#evaluation).
std::map<std::string, double> plain_evaluation(LanguageModel& model, const SplitData& split,
                                               const TrainConfig& config) {
  torch::NoGradGuard no_grad;
  model->eval();
  double loss_sum = 0.0, correct_tokens = 0.0, labelled_tokens = 0.0;
  std::map<int64_t, std::pair<double, int64_t>> by_slice;  // num_kv_pairs -> (accuracy sum, examples)
  double accuracy_sum = 0.0;
  int64_t examples = 0;
  for (const auto& batch : split.batches) {
    const auto logits = labelled_logits(model, batch, config.lm_head == "all");  // (N, V)
    loss_sum += torch::nn::functional::cross_entropy(logits, batch.targets).item<double>();
    const auto correct = (logits.argmax(-1) == batch.targets).to(torch::kDouble);  // (N,)
    const int64_t rows = batch.inputs.size(0);
    auto per_row_correct = torch::zeros({rows}, correct.options()).index_add_(0, batch.example_of, correct);
    auto per_row_count =
        torch::zeros({rows}, correct.options()).index_add_(0, batch.example_of, torch::ones_like(correct));
    correct_tokens += correct.sum().item<double>();
    labelled_tokens += static_cast<double>(correct.size(0));
    auto accuracy = (per_row_correct / per_row_count.clamp_min(1)).masked_select(per_row_count > 0);
    const auto slice = split.segments[batch.segment].slices.at("num_kv_pairs");
    by_slice[slice].first += accuracy.sum().item<double>();
    by_slice[slice].second += accuracy.size(0);
  }
  std::map<std::string, double> metrics;
  metrics["valid/loss"] = loss_sum / static_cast<double>(split.batches.size());
  for (const auto& [value, sum_count] : by_slice) {
    accuracy_sum += sum_count.first;
    examples += sum_count.second;
    metrics["valid/num_kv_pairs/accuracy-" + std::to_string(value)] =
        sum_count.first / static_cast<double>(sum_count.second);
  }
  metrics["valid/accuracy"] = config.accuracy_average == "token"
                                  ? correct_tokens / labelled_tokens
                                  : accuracy_sum / static_cast<double>(examples);
  return metrics;
}

TEST(EvaluationTest, MatchesThePlainEvaluationWithAndWithoutRecords) {
  const auto dir = temp_dir("labelled-outputs");
  for (const std::string mixer : {"attention", "base_conv"}) {
    for (const std::string lm_head : {"labelled", "all"}) {
      auto json = tiny_config_json(mixer);
      json["data"]["vocab_size"] = 200;
      json["data"]["batch_size"] = nlohmann::json::array({32, 40});  // 80 and 120 labelled rows: 64 + rest
      json["train"]["lm_head"] = lm_head;
      auto config = parse_run_config(json);
      const auto [split, train] = cpu_splits(config, (dir / "c").string());
      auto model = briefly_trained_model(config, train, lm_head == "all");
      for (const auto& average : {"example", "token"}) {
        config.train.accuracy_average = average;
        const auto expected = plain_evaluation(model, split, config.train);
        const auto plain = evaluate(model, split, config.train);
        const auto recorded = evaluate(model, split, config.train, RecordRequest{"all", 0});
        ASSERT_EQ(plain.size(), expected.size());
        for (const auto& [key, value] : expected) {
          // Accuracies exactly (the predictions are argmax's); the loss to rounding (labelled_outputs.h).
          const double tolerance = key == "valid/loss" ? 1e-6 * std::abs(value) : 0.0;
          EXPECT_NEAR(plain.at(key), value, tolerance)
              << key << " " << mixer << " " << lm_head << " " << average;
          EXPECT_EQ(recorded.metrics.at(key), plain.at(key))
              << key << " " << mixer << " " << lm_head << " " << average;
        }
        // Every record's loss is the whole-tensor log_softmax's to rounding, its prediction argmax's.
        ASSERT_TRUE(recorded.records);
        torch::NoGradGuard no_grad;
        size_t next = 0;
        for (const auto& batch : split.batches) {
          const auto logits = labelled_logits(model, batch, lm_head == "all");  // (N, V)
          const auto log_probs = torch::log_softmax(logits, 1);
          const auto predictions = logits.argmax(-1);
          for (int64_t i = 0; i < batch.targets.size(0); ++i, ++next) {
            ASSERT_LT(next, recorded.records->records.size());
            const auto& r = recorded.records->records[next];
            const auto log_p = log_probs[i][batch.targets[i].item<int64_t>()].item<float>();
            ASSERT_NEAR(r.loss, -log_p, 2e-6 + 1e-6 * std::abs(log_p)) << next;
            ASSERT_NEAR(r.p_target, std::exp(log_p), 2e-6 * std::exp(log_p)) << next;
            ASSERT_EQ(r.prediction, predictions[i].item<int64_t>()) << next;
          }
        }
        EXPECT_EQ(next, recorded.records->records.size());
      }
    }
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace zoolab
