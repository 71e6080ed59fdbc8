// Text training end to end on tiny token shards written here: the loss falls on a learnable
// pattern, the per-step schedule, gradient clipping, validation metrics and the stored per-token losses,
// exact resume after stop requests (and a resume that cannot start leaving the run interrupted), and
// the errors for a vocabulary mismatch and missing shards.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "engine/formats/checkpoint_format.h"
#include "engine/store/store.h"
#include "engine/text/bigram_counts.h"
#include "engine/text/token_losses.h"
#include "engine/text/token_shards.h"
#include "engine/train/model_setup.h"
#include "engine/train/stop_request.h"
#include "engine/train/text_batches.h"
#include "engine/train/text_step.h"
#include "engine/train/text_trainer.h"
#include "engine/train/trainer.h"
#include "train_test_support.h"

namespace zoolab {
namespace {

using nlohmann::json;
using train_test::read_bytes;
using train_test::TrainingStoreTest;
using train_test::write_bytes;

constexpr int64_t kVocab = 32;
constexpr int64_t kEndOfText = 0;

// A document whose every token determines the next (next = 7 · previous + 3 mod 31, plus 1): a bigram
// model, which any mixer learns in a few dozen steps, predicts it exactly.
std::vector<int32_t> pattern_document(int32_t first, int64_t length) {
  std::vector<int32_t> tokens{first};
  while (static_cast<int64_t>(tokens.size()) < length) {
    tokens.push_back((tokens.back() * 7 + 3) % (kVocab - 1) + 1);
  }
  return tokens;
}

// train.ztok (50 documents of 200 tokens), valid.ztok (10 of 100) and bigrams.zbg of the training split.
void write_shards(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  const auto folder = shards_folder(dir.string());
  BigramCounts bigrams(kVocab);
  std::vector<int32_t> all;
  TokenShardWriter train(folder.train, kVocab, kEndOfText);
  for (int32_t d = 0; d < 50; ++d) {
    const auto doc = pattern_document(1 + d % (kVocab - 1), 200);
    train.add_document(doc);
    all.insert(all.end(), doc.begin(), doc.end());
    all.push_back(kEndOfText);
  }
  train.finish();
  bigrams.add(all.data(), static_cast<int64_t>(all.size()));
  bigrams.save(folder.bigrams);
  TokenShardWriter valid(folder.valid, kVocab, kEndOfText);
  for (int32_t d = 0; d < 10; ++d) {
    valid.add_document(pattern_document(1 + (3 * d + 5) % (kVocab - 1), 100));
  }
  valid.finish();
}

// 40 steps of 8 windows of 16 tokens, warm-up 5, validation every 10 steps on 4 sequences.
json tiny_text_config(const std::string& shards) {
  return {
      {"name", "tiny-text"},
      {"seed", 3},
      {"data",
       {{"task", "text"},
        {"vocab_size", kVocab},
        {"batch_size", json::array({8, 3})},
        {"seed", 11},
        {"text",
         {{"shards", shards},
          {"context_length", 16},
          {"train_tokens", 40 * 8 * 16},
          {"valid_sequences", 4}}}}},
      {"model",
       {{"d_model", 32},
        {"n_layers", 2},
        {"max_position_embeddings", 16},
        {"embed_dropout", 0.1},  // dropout draws from the RNG the checkpoint must restore
        {"sequence_mixer", {{"name", "attention"}, {"kwargs", {{"num_heads", 1}, {"dropout", 0.0}}}}},
        {"state_mixer", {{"name", "mlp"}, {"kwargs", {{"hidden_mult", 2}}}}}}},
      {"train",
       {{"learning_rate", 1e-2},
        {"weight_decay", 0.1},
        {"warmup_steps", 5},
        {"gradient_clip", 1.0},
        {"eval_interval", 10}}},
  };
}

int64_t create_text_run(Store& store, const RunConfig& config) {
  NewRun run;
  run.name = config.name;
  run.task = "text";
  run.mixer = config.model.sequence_mixer.name;
  run.config_json = to_json(config).dump();
  run.seed = static_cast<int64_t>(config.seed);
  return store.create_run(run);
}

// key -> (steps, values) in step order.
std::map<std::string, std::pair<std::vector<int64_t>, std::vector<double>>> series(const Store& store,
                                                                                   int64_t run) {
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<double>>> out;
  for (const auto& point : store.metrics(run)) {
    out[point.key].first.push_back(point.step);
    out[point.key].second.push_back(point.value);
  }
  return out;
}

class TextTrainingTest : public TrainingStoreTest {
 protected:
  TextTrainingTest() : TrainingStoreTest("text-training") {}
  void SetUp() override {
    TrainingStoreTest::SetUp();
    m_shards = m_dir / "shards";
    write_shards(m_shards);
  }
  RunConfig config() const { return parse_run_config(tiny_text_config(m_shards.string())); }

  std::filesystem::path m_shards;
};

TEST(TextSchedule, WarmupPeakAndCosineToTheFloor) {
  // Warm-up: linear from peak / W at step 1 to the peak at step W.
  EXPECT_DOUBLE_EQ(text_learning_rate(2.0, 1, 10, 110), 0.2);
  EXPECT_DOUBLE_EQ(text_learning_rate(2.0, 5, 10, 110), 1.0);
  EXPECT_DOUBLE_EQ(text_learning_rate(2.0, 10, 10, 110), 2.0);
  // Halfway through the cosine: the mean of peak and floor (floor = 10% of the peak).
  EXPECT_NEAR(text_learning_rate(2.0, 60, 10, 110), (2.0 + 0.2) / 2.0, 1e-12);
  // The last step runs at the floor.
  EXPECT_NEAR(text_learning_rate(2.0, 110, 10, 110), 0.2, 1e-12);
  EXPECT_DOUBLE_EQ(kTextFinalLearningRateRatio, 0.1);
  // Decreasing after the peak.
  EXPECT_LT(text_learning_rate(2.0, 11, 10, 110), 2.0);
  EXPECT_LT(text_learning_rate(2.0, 80, 10, 110), text_learning_rate(2.0, 70, 10, 110));
  // Without warm-up the first step is almost at the peak.
  EXPECT_NEAR(text_learning_rate(1.0, 1, 0, 1000), 1.0, 1e-5);
}

TEST(TextSchedule, ValidationCount) {
  auto j = tiny_text_config("/x");
  EXPECT_EQ(text_validation_count(parse_run_config(j)), 4);  // steps 10, 20, 30, 40
  j["train"]["eval_interval"] = 15;
  EXPECT_EQ(text_validation_count(parse_run_config(j)), 3);  // 15, 30 and the end (40)
  j["train"]["eval_interval"] = 0;
  EXPECT_EQ(text_validation_count(parse_run_config(j)), 1);
}

TEST(TextBatches, WindowOrderIsAPermutationPerPassAndAFunctionOfTheSeed) {
  TextWindowOrder order(16 * 20 + 1, 16, 42, "x.ztok");
  ASSERT_EQ(order.windows(), 20);
  TextWindowOrder again(16 * 20 + 1, 16, 42, "x.ztok");
  TextWindowOrder other(16 * 20 + 1, 16, 43, "x.ztok");
  std::vector<int64_t> pass0, pass1, other0;
  for (int64_t s = 0; s < 20; ++s) {
    pass0.push_back(order.start(s));
    other0.push_back(other.start(s));
  }
  for (int64_t s = 20; s < 40; ++s) {
    pass1.push_back(order.start(s));
  }
  for (int64_t s = 0; s < 20; ++s) {
    EXPECT_EQ(again.start(s), pass0[static_cast<size_t>(s)]);  // also after `order` moved to pass 1
  }
  auto sorted0 = pass0, sorted1 = pass1;
  std::sort(sorted0.begin(), sorted0.end());
  std::sort(sorted1.begin(), sorted1.end());
  for (int64_t w = 0; w < 20; ++w) {
    EXPECT_EQ(sorted0[static_cast<size_t>(w)], 16 * w);
    EXPECT_EQ(sorted1[static_cast<size_t>(w)], 16 * w);
  }
  EXPECT_NE(pass0, pass1);
  EXPECT_NE(pass0, other0);
  // A shard shorter than one window.
  EXPECT_THROW(TextWindowOrder(16, 16, 1, "x.ztok"), std::runtime_error);
}

TEST(TextBatches, ValidationWindowsAreEvenlySpacedAndFit) {
  EXPECT_EQ(validation_starts(1000, 4, 17, "v.ztok"), (std::vector<int64_t>{0, 250, 500, 750}));
  try {
    validation_starts(60, 4, 17, "v.ztok");
    FAIL();
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("data.text.valid_sequences"), std::string::npos) << what;
    EXPECT_NE(what.find("v.ztok has 60"), std::string::npos) << what;
  }
}

TEST_F(TextTrainingTest, LossFallsAndMetricsFollowTheSchedule) {
  const auto cfg = config();
  const auto run = create_text_run(*m_store, cfg);
  std::vector<EpochReport> reports;
  auto opts = options();
  opts.on_epoch = [&](const EpochReport& r) { reports.push_back(r); };
  const auto result = train_run(*m_store, run, cfg, opts);
  ASSERT_EQ(result.status, RunStatus::Finished) << result.message;
  EXPECT_EQ(result.steps, 40);
  EXPECT_EQ(result.epochs, 4);

  const auto s = series(*m_store, run);
  const auto& loss = s.at("train/loss").second;
  ASSERT_EQ(loss.size(), 40u);
  EXPECT_NEAR(loss.front(), std::log(static_cast<double>(kVocab)), 0.5);  // about uniform at the start
  double last5 = 0.0;
  for (size_t i = 35; i < 40; ++i) {
    last5 += loss[i] / 5.0;
  }
  EXPECT_LT(last5, 0.5 * loss.front()) << "the deterministic bigram pattern is learnt";

  const auto& lr = s.at("train/learning_rate");
  ASSERT_EQ(lr.second.size(), 40u);
  for (size_t i = 0; i < 40; ++i) {
    EXPECT_DOUBLE_EQ(lr.second[i], text_learning_rate(1e-2, lr.first[i], 5, 40)) << "step " << lr.first[i];
  }
  EXPECT_DOUBLE_EQ(lr.second[4], 1e-2);  // the peak at step 5
  EXPECT_NEAR(lr.second[39], 1e-3, 1e-12);

  const auto& valid = s.at("valid/loss");
  EXPECT_EQ(valid.first, (std::vector<int64_t>{10, 20, 30, 40}));
  const auto& perplexity = s.at("valid/perplexity").second;
  ASSERT_EQ(perplexity.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_NEAR(perplexity[i], std::exp(valid.second[i]), 1e-9);
  }
  EXPECT_LT(valid.second.back(), valid.second.front());
  // The run summary's best perplexity is the lowest one (the store's "lower is better" rule).
  bool summarised = false;
  for (const auto& summary : m_store->summary(run)) {
    if (summary.key == "valid/perplexity") {
      summarised = true;
      EXPECT_DOUBLE_EQ(summary.best, *std::min_element(perplexity.begin(), perplexity.end()));
    }
  }
  EXPECT_TRUE(summarised);
  EXPECT_EQ(s.at("train/tokens_per_s").second.size(), 4u);
  EXPECT_GT(s.at("train/tokens_per_s").second.back(), 0.0);
  ASSERT_EQ(reports.size(), 4u);
  EXPECT_EQ(reports.back().max_steps, 40);
  EXPECT_EQ(reports.back().max_epochs, 4);
  EXPECT_EQ(reports.back().step, 40);
  EXPECT_GT(reports.back().tokens_per_s, 0.0);

  const auto stored = m_store->find_run(run);
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->epochs, 4);
  EXPECT_EQ(stored->steps, 40);
  const auto checkpoint = m_store->latest_checkpoint(run);
  ASSERT_TRUE(checkpoint.has_value());
  EXPECT_EQ(checkpoint->step, 40);
}

TEST_F(TextTrainingTest, StoresThePerTokenLossesOfTheLastValidation) {
  const auto cfg = config();
  const auto run = create_text_run(*m_store, cfg);
  ASSERT_EQ(train_run(*m_store, run, cfg, options()).status, RunStatus::Finished);
  const auto blob = m_store->token_losses(run);
  ASSERT_TRUE(blob.has_value());
  const auto set = decode_token_losses(*blob);
  EXPECT_EQ(set.step, 40);
  EXPECT_EQ(set.epoch, 4);
  EXPECT_EQ(set.sequences, 4);
  EXPECT_EQ(set.length, 17);
  EXPECT_EQ(set.shards, m_shards.string());
  ASSERT_EQ(set.tokens.size(), 4u * 17u);
  ASSERT_EQ(set.losses.size(), 4u * 17u);
  ASSERT_EQ(set.train_counts.size(), 4u * 17u);

  // The windows are the evenly spaced ones of valid.ztok; the counts those of bigrams.zbg.
  const auto folder = shards_folder(m_shards.string());
  const TokenShard valid(folder.valid);
  const auto bigrams = BigramCounts::load(folder.bigrams);
  const auto starts = validation_starts(valid.size(), 4, 17, folder.valid);
  double sum = 0.0;
  for (size_t k = 0; k < 4; ++k) {
    std::vector<int64_t> window(17);
    valid.read(starts[k], 17, window.data());
    for (size_t i = 0; i < 17; ++i) {
      const size_t at = k * 17 + i;
      EXPECT_EQ(set.tokens[at], window[i]);
      if (i == 0) {
        EXPECT_TRUE(std::isnan(set.losses[at])) << "sequence " << k;
        EXPECT_EQ(set.train_counts[at], 0u);
      } else {
        EXPECT_TRUE(std::isfinite(set.losses[at]));
        EXPECT_GE(set.losses[at], 0.0f);
        EXPECT_EQ(set.train_counts[at],
                  bigrams.count(static_cast<int32_t>(window[i - 1]), static_cast<int32_t>(window[i])));
        sum += set.losses[at];
      }
    }
  }
  // Inside a document every bigram of the pattern occurs in training.
  EXPECT_GT(set.train_counts[1], 0u);
  const auto last = series(*m_store, run).at("valid/loss").second.back();
  EXPECT_NEAR(sum / (4.0 * 16.0), last, 1e-6);
}

TEST_F(TextTrainingTest, GradientClippingCapsTheGlobalNorm) {
  const auto cfg = config();
  const auto folder = shards_folder(m_shards.string());
  const TokenShard train(folder.train);
  TextWindowOrder order(train.size(), 16, 11, folder.train);
  const auto batch = training_batch(train, order, 0, 8, 16, torch::kCPU);
  auto global_norm = [](LanguageModel& model) {
    double sum = 0.0;
    for (const auto& p : model->parameters()) {
      if (p.grad().defined()) {
        sum += p.grad().pow(2).sum().item<double>();
      }
    }
    return std::sqrt(sum);
  };
  torch::manual_seed(1);
  LanguageModel model(language_model_options(cfg));
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
  const auto unclipped = text_train_step(model, optimizer, batch, 0.0);
  EXPECT_GT(unclipped.grad_norm, 0.05);
  EXPECT_NEAR(global_norm(model), unclipped.grad_norm, 1e-4 * unclipped.grad_norm);

  torch::manual_seed(1);
  LanguageModel clipped_model(language_model_options(cfg));
  torch::optim::AdamW clipped_optimizer(clipped_model->parameters(), torch::optim::AdamWOptions(1e-3));
  const double clip = unclipped.grad_norm / 10.0;
  const auto clipped = text_train_step(clipped_model, clipped_optimizer, batch, clip);
  EXPECT_NEAR(clipped.grad_norm, unclipped.grad_norm,
              1e-9 * unclipped.grad_norm);  // reported before clipping
  EXPECT_NEAR(global_norm(clipped_model), clip, 1e-3 * clip);
}

TEST_F(TextTrainingTest, ResumeAfterStopRequestsRepeatsTheRunBitForBit) {
  const auto cfg = config();
  const auto reference = create_text_run(*m_store, cfg);
  ASSERT_EQ(train_run(*m_store, reference, cfg, options()).status, RunStatus::Finished);

  const auto run = create_text_run(*m_store, cfg);
  // Stop once between validations (step 13) and once right after one (step 20).
  for (const int64_t stop_at : {13, 20}) {
    auto stopping = options();
    stopping.resume = stop_at != 13;
    stopping.on_step = [stop_at](int64_t step, double) {
      if (step == stop_at) {
        request_stop();
      }
    };
    const auto stopped = train_run(*m_store, run, cfg, stopping);
    clear_stop_request();
    ASSERT_EQ(stopped.status, RunStatus::Cancelled) << stopped.message;
    EXPECT_EQ(stopped.steps, stop_at);
    ASSERT_TRUE(m_store->latest_checkpoint(run).has_value());
    EXPECT_EQ(m_store->latest_checkpoint(run)->step, stop_at);
  }
  auto resuming = options();
  resuming.resume = true;
  const auto resumed = train_run(*m_store, run, cfg, resuming);
  ASSERT_EQ(resumed.status, RunStatus::Finished) << resumed.message;
  EXPECT_EQ(resumed.steps, 40);
  EXPECT_EQ(resumed.epochs, 4);

  const auto expected = series(*m_store, reference);
  const auto actual = series(*m_store, run);
  for (const char* key : {"train/loss", "train/learning_rate", "train/grad_norm", "valid/loss"}) {
    ASSERT_EQ(actual.at(key).first, expected.at(key).first) << key;
    for (size_t i = 0; i < expected.at(key).second.size(); ++i) {
      EXPECT_EQ(actual.at(key).second[i], expected.at(key).second[i])
          << key << " at step " << actual.at(key).first[i];
    }
  }
  const auto a = decode_token_losses(*m_store->token_losses(reference));
  const auto b = decode_token_losses(*m_store->token_losses(run));
  for (size_t i = 1; i < a.losses.size(); ++i) {
    if (!std::isnan(a.losses[i])) {
      EXPECT_EQ(a.losses[i], b.losses[i]) << i;
    }
  }
}

// A resumed text run that cannot start (a checkpoint header that does not fit the run, a damaged
// shard) is left interrupted with the reason; once the file is restored it resumes and finishes.
TEST_F(TextTrainingTest, AResumeThatCannotStartLeavesTheRunInterrupted) {
  const auto cfg = config();
  const auto run = create_text_run(*m_store, cfg);
  auto stopping = options();
  stopping.on_step = [](int64_t step, double) {
    if (step == 13) {
      request_stop();
    }
  };
  ASSERT_EQ(train_run(*m_store, run, cfg, stopping).status, RunStatus::Cancelled);
  clear_stop_request();
  auto resuming = options();
  resuming.resume = true;

  // Validated once by step 13 (every 10 steps); a header claiming 2 validations is refused.
  const std::string path = m_store->latest_checkpoint(run)->path;
  const std::string good = read_bytes(path);
  const auto parsed = parse_checkpoint(good, path);
  auto position = parsed.header.position;
  ASSERT_EQ(position.epoch, 1);
  position.epoch = 2;
  const std::string payload = good.substr(parsed.payload_offset, parsed.payload_size);
  const std::string head = encode_checkpoint_head({position, parsed.header.torch_version});
  write_bytes(path, head + payload + encode_checkpoint_trailer(head, payload));
  auto result = train_run(*m_store, run, cfg, resuming);
  EXPECT_EQ(result.status, RunStatus::Interrupted) << result.message;
  EXPECT_NE(result.message.find("header field \"epoch\" is 2; by step 13 this run has validated 1 times"),
            std::string::npos)
      << result.message;
  EXPECT_EQ(m_store->find_run(run)->status, RunStatus::Interrupted);
  write_bytes(path, good);

  // A flipped bit in the validation shard.
  const std::string valid = shards_folder(m_shards.string()).valid;
  const std::string shard = read_bytes(valid);
  std::string damaged = shard;
  damaged[damaged.size() - 3] ^= 0x10;
  write_bytes(valid, damaged);
  result = train_run(*m_store, run, cfg, resuming);
  EXPECT_EQ(result.status, RunStatus::Interrupted) << result.message;
  EXPECT_TRUE(result.input_error);
  EXPECT_NE(result.message.find("valid.ztok: checksum mismatch in the data"), std::string::npos)
      << result.message;
  write_bytes(valid, shard);

  result = train_run(*m_store, run, cfg, resuming);
  ASSERT_EQ(result.status, RunStatus::Finished) << result.message;
  EXPECT_EQ(result.steps, 40);
}

TEST_F(TextTrainingTest, RefusesAVocabularySmallerThanTheShards) {
  auto j = tiny_text_config(m_shards.string());
  j["data"]["vocab_size"] = 16;
  const auto cfg = parse_run_config(j);
  const auto run = create_text_run(*m_store, cfg);
  const auto result = train_run(*m_store, run, cfg, options());
  EXPECT_EQ(result.status, RunStatus::Failed);
  EXPECT_NE(result.message.find("data.vocab_size (16)"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("train.ztok"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("vocab_size 32"), std::string::npos) << result.message;
  EXPECT_EQ(m_store->find_run(run)->status, RunStatus::Failed);
}

TEST_F(TextTrainingTest, MissingShardsSayWhatToDo) {
  auto cfg = parse_run_config(tiny_text_config(""));
  auto run = create_text_run(*m_store, cfg);
  auto result = train_run(*m_store, run, cfg, options());
  EXPECT_EQ(result.status, RunStatus::Failed);
  EXPECT_NE(result.message.find("--shards DIR"), std::string::npos) << result.message;

  const auto missing = (m_dir / "no-such-folder").string();
  cfg = parse_run_config(tiny_text_config(missing));
  run = create_text_run(*m_store, cfg);
  result = train_run(*m_store, run, cfg, options());
  EXPECT_EQ(result.status, RunStatus::Failed);
  EXPECT_NE(result.message.find(missing), std::string::npos) << result.message;

  std::filesystem::remove(shards_folder(m_shards.string()).bigrams);
  cfg = config();
  run = create_text_run(*m_store, cfg);
  result = train_run(*m_store, run, cfg, options());
  EXPECT_EQ(result.status, RunStatus::Failed);
  EXPECT_NE(result.message.find("bigrams.zbg"), std::string::npos) << result.message;
}

}  // namespace
}  // namespace zoolab
