// The Probe engine: a trained run's checkpoint loaded once, sequences run through it for
// predictions, per-query facts and patterns; bad input refused with messages naming it.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "engine/data/tasks/mqar.h"
#include "engine/train/probe.h"
#include "trained_attention_run.h"

namespace zoolab {
namespace {

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::invalid_argument& error) {
    return error.what();
  }
  return "(no std::invalid_argument)";
}

TEST(Probe, RunsAGeneratedExampleOfATrainedRun) {
  const auto& trained = train_test::trained_attention_run();
  ASSERT_EQ(trained.result.status, RunStatus::Finished) << trained.result.message;
  Store store(trained.database);
  const auto rng_before = at::detail::getDefaultCPUGenerator().get_state();
  Probe probe(store, trained.run);
  EXPECT_TRUE(torch::equal(rng_before, at::detail::getDefaultCPUGenerator().get_state()))
      << "loading a probe must not move the global generator";
  EXPECT_EQ(probe.epoch(), trained.result.epochs);
  EXPECT_EQ(probe.config().model.d_model, 64);

  const auto [tokens, labels] = probe.generate(0, 99);
  ASSERT_EQ(tokens.size(), 24u);
  ASSERT_EQ(labels.size(), 24u);
  // The same as the data generator's.
  auto segment = trained.config.data.test[0];
  segment.num_examples = 1;
  EXPECT_EQ(tokens, generate_mqar(segment, 64, 99).inputs);

  const auto result = probe.run(tokens, labels, /*mixing_matrix=*/true);
  EXPECT_EQ(result.tokens, tokens);
  EXPECT_EQ(result.labels, labels);
  ASSERT_EQ(result.predictions.size(), 24u);
  ASSERT_EQ(result.p_prediction.size(), 24u);
  for (float p : result.p_prediction) {
    EXPECT_GT(p, 0.0f);
    EXPECT_LE(p, 1.0f + 1e-6f);
  }
  ASSERT_EQ(result.queries.size(), 3u);  // every key queried once
  ASSERT_EQ(result.p_target.size(), 3u);
  int64_t correct = 0;
  for (size_t q = 0; q < result.queries.size(); ++q) {
    const auto& f = result.queries[q];
    EXPECT_EQ(labels[f.position], f.target);
    EXPECT_EQ(tokens[f.key_position], f.key);
    EXPECT_EQ(tokens[f.key_position + 1], f.target);  // the value after its key
    EXPECT_GE(f.kv_index, 0);
    EXPECT_LT(f.kv_index, 3);
    EXPECT_GE(result.p_target[q], 0.0f);
    EXPECT_LE(result.p_target[q], result.p_prediction[f.position] + 1e-6f);
    if (result.predictions[f.position] == f.target) {
      ++correct;
      EXPECT_FLOAT_EQ(result.p_target[q], result.p_prediction[f.position]);
    }
  }
  EXPECT_GE(correct, 2) << "a trained run recalls most of its queries";

  // 2 layers x 2 heads of attention and one mixing matrix per layer, all (24, 24).
  int64_t attention = 0, mixing = 0;
  for (const auto& r : result.patterns) {
    EXPECT_EQ(r.rows, 24);
    EXPECT_EQ(r.cols, 24);
    EXPECT_EQ(static_cast<int64_t>(r.values.size()), 24 * 24);
    attention += r.kind == "attention" ? 1 : 0;
    mixing += r.kind == "mixing" ? 1 : 0;
  }
  EXPECT_EQ(attention, 4);
  EXPECT_EQ(mixing, 2);
  const auto without = probe.run(tokens, labels, false);
  EXPECT_EQ(without.patterns.size(), 4u);
  EXPECT_EQ(without.predictions, result.predictions);

  // Without labels: predictions only. A shorter sequence works too.
  const std::vector<int64_t> prefix(tokens.begin(), tokens.begin() + 10);
  const auto short_result = probe.run(prefix, {}, false);
  EXPECT_EQ(short_result.predictions.size(), 10u);
  EXPECT_EQ(short_result.labels, std::vector<int64_t>(10, kIgnoreLabel));
  EXPECT_TRUE(short_result.queries.empty());
  EXPECT_TRUE(short_result.p_target.empty());
  // Causal: a prefix predicts what the full sequence predicts there.
  for (size_t p = 0; p < prefix.size(); ++p) {
    EXPECT_EQ(short_result.predictions[p], result.predictions[p]) << p;
    EXPECT_NEAR(short_result.p_prediction[p], result.p_prediction[p], 1e-5) << p;
  }
}

TEST(Probe, RefusesBadInputNamingIt) {
  const auto& trained = train_test::trained_attention_run();
  Store store(trained.database);
  Probe probe(store, trained.run);
  const auto generated = probe.generate(0, 1);
  const auto& tokens = generated.first;
  const auto& labels = generated.second;

  EXPECT_EQ(message_of([&] { probe.run({}, {}, false); }), "probe: the sequence is empty");
  std::vector<int64_t> long_tokens(25, 1);
  EXPECT_EQ(message_of([&] { probe.run(long_tokens, {}, false); }),
            "probe: the sequence has 25 tokens; this model accepts at most 24");
  auto bad = tokens;
  bad[5] = 64;
  EXPECT_EQ(message_of([&] { probe.run(bad, {}, false); }),
            "probe: token 64 at position 5 is outside the vocabulary [0, 64)");
  bad[5] = -1;
  EXPECT_EQ(message_of([&] { probe.run(bad, {}, false); }),
            "probe: token -1 at position 5 is outside the vocabulary [0, 64)");
  EXPECT_EQ(message_of([&] { probe.run(tokens, std::vector<int64_t>(3, kIgnoreLabel), false); }),
            "probe: 3 labels for 24 tokens; give one per token (-100 where not a query) or none");
  auto bad_labels = labels;
  bad_labels[2] = 100;
  EXPECT_EQ(message_of([&] { probe.run(tokens, bad_labels, false); }),
            "probe: label 100 at position 2 is neither -100 nor in the vocabulary [0, 64)");
  EXPECT_EQ(message_of([&] { probe.generate(1, 0); }),
            "probe: test segment 1 does not exist; the run has 1 test segment(s)");
}

TEST(Probe, RefusesARunWithoutCheckpoint) {
  const auto dir = train_test::temp_dir("probe-none");
  {
    Store store((dir / "runs.sqlite").string());
    const auto config = parse_run_config(train_test::tiny_config_json());
    const auto run = train_test::create_run(store, config);
    try {
      Probe probe(store, run);
      ADD_FAILURE() << "no exception";
    } catch (const std::runtime_error& error) {
      EXPECT_NE(std::string(error.what()).find("has no checkpoint yet"), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("run " + std::to_string(run)), std::string::npos)
          << error.what();
    }
    EXPECT_THROW(Probe(store, run + 100), std::runtime_error);
  }
  std::filesystem::remove_all(dir);
}

TEST(Probe, LoadsACheckpointFileForAConfig) {
  const auto& trained = train_test::trained_attention_run();
  Store store(trained.database);
  const auto checkpoint = store.latest_checkpoint(trained.run);
  ASSERT_TRUE(checkpoint);
  Probe by_path(trained.config, checkpoint->path);
  Probe by_run(store, trained.run);
  const auto [tokens, labels] = by_path.generate(0, 5);
  EXPECT_EQ(by_path.run(tokens, labels, false).p_prediction, by_run.run(tokens, labels, false).p_prediction);
}

}  // namespace
}  // namespace zoolab
