// Text-run configuration (docs/architecture.md#configuration, docs/reference.md#text-training): data.task
// "text" with data.text, the per-step schedule keys of train, strict refusal of the other task's keys,
// and to_json writing text keys only for text runs (MQAR configs and their hashes unchanged).

#include <gtest/gtest.h>

#include <filesystem>

#include "engine/config/presets.h"
#include "engine/config/run_config.h"
#include "tests/engine/core/config_test_support.h"

namespace zoolab {
namespace {

using nlohmann::json;

json text_config() {
  return json::parse(R"({
    "name": "text-test",
    "data": {"task": "text", "vocab_size": 4096, "batch_size": [16, 8], "seed": 5,
             "text": {"shards": "/abs/shards", "context_length": 128, "train_tokens": 2000000,
                      "valid_sequences": 64}},
    "model": {"d_model": 64, "max_position_embeddings": 128},
    "train": {"learning_rate": 3e-3, "weight_decay": 0.1, "warmup_steps": 50, "gradient_clip": 1.0,
              "eval_interval": 100}})");
}

using config_test::contains;
using config_test::minimal_config;
using config_test::parse_error;

TEST(ConfigText, ParsesEveryTextKey) {
  const RunConfig c = parse_run_config(text_config());
  EXPECT_EQ(c.data.task, "text");
  EXPECT_TRUE(is_text_task(c.data));
  EXPECT_EQ(c.data.vocab_size, 4096);
  EXPECT_EQ(c.data.train_batch_size, 16);
  EXPECT_EQ(c.data.test_batch_size, 8);
  EXPECT_EQ(c.data.text.shards, "/abs/shards");
  EXPECT_EQ(c.data.text.context_length, 128);
  EXPECT_EQ(c.data.text.train_tokens, 2000000);
  EXPECT_EQ(c.data.text.valid_sequences, 64);
  EXPECT_TRUE(c.data.train.empty());
  EXPECT_TRUE(c.data.test.empty());
  EXPECT_EQ(c.train.warmup_steps, 50);
  EXPECT_DOUBLE_EQ(c.train.gradient_clip, 1.0);
  EXPECT_EQ(c.train.eval_interval, 100);
  EXPECT_DOUBLE_EQ(c.train.learning_rate, 3e-3);
  EXPECT_EQ(max_seq_len(c.data), 128);
  // 2,000,000 / (16 · 128) = 976.5625 -> 977 steps.
  EXPECT_EQ(text_train_steps(c.data), 977);
}

TEST(ConfigText, DefaultsAndMqarDefault) {
  const RunConfig mqar = parse_run_config(minimal_config());
  EXPECT_EQ(mqar.data.task, "mqar");
  EXPECT_FALSE(is_text_task(mqar.data));
  json j = json::parse(R"({"data": {"task": "text"}, "model": {"max_position_embeddings": 0}})");
  const RunConfig c = parse_run_config(j);
  EXPECT_EQ(c.data.text.shards, "");
  EXPECT_EQ(c.data.text.context_length, 128);
  EXPECT_EQ(c.data.text.valid_sequences, 64);
  EXPECT_EQ(c.train.warmup_steps, 0);
  EXPECT_DOUBLE_EQ(c.train.gradient_clip, 1.0);
  EXPECT_EQ(c.train.eval_interval, 0);
}

TEST(ConfigText, RoundTripsAndWritesOnlyTextKeys) {
  const RunConfig c = parse_run_config(text_config());
  const json once = to_json(c);
  EXPECT_EQ(once["data"]["task"], "text");
  EXPECT_FALSE(once["data"].contains("train"));
  EXPECT_FALSE(once["data"].contains("test"));
  EXPECT_FALSE(once["data"].contains("cache_dir"));
  EXPECT_FALSE(once["train"].contains("max_epochs"));
  EXPECT_FALSE(once["train"].contains("inspect"));
  EXPECT_EQ(once["train"]["warmup_steps"], 50);
  EXPECT_EQ(once["data"]["text"]["context_length"], 128);
  const RunConfig back = parse_run_config(json::parse(once.dump()));
  EXPECT_EQ(to_json(back), once);
  EXPECT_EQ(back.data.text.shards, "/abs/shards");
  EXPECT_EQ(back.train.eval_interval, 100);
}

TEST(ConfigText, MqarJsonHasNoTextKeys) {
  // MQAR configs are written exactly as before text runs existed (their config_hash depends on it).
  const json j = to_json(parse_run_config(minimal_config()));
  EXPECT_FALSE(j["data"].contains("task"));
  EXPECT_FALSE(j["data"].contains("text"));
  EXPECT_FALSE(j["train"].contains("warmup_steps"));
  EXPECT_FALSE(j["train"].contains("gradient_clip"));
  EXPECT_FALSE(j["train"].contains("eval_interval"));
  EXPECT_EQ(j["data"].size(), 6u);    // vocab_size, batch_size, seed, cache_dir, train, test
  EXPECT_EQ(j["train"].size(), 10u);  // unchanged key set
}

TEST(ConfigText, RefusesMqarKeysInTextRuns) {
  json j = text_config();
  j["data"]["train"] = json::array({{{"num_kv_pairs", 4}}});
  ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "data.train");
  EXPECT_TRUE(contains(e.what(), "not used by text runs")) << e.what();
  EXPECT_TRUE(contains(e.what(), "set data.task to \"mqar\"")) << e.what();

  j = text_config();
  j["train"]["max_epochs"] = 3;
  e = parse_error(j);
  EXPECT_EQ(e.path(), "train.max_epochs");
  EXPECT_TRUE(contains(e.what(), "MQAR-only")) << e.what();

  j = text_config();
  j["train"]["inspect"] = json::object();
  EXPECT_EQ(parse_error(j).path(), "train.inspect");
}

TEST(ConfigText, RefusesTextKeysInMqarRuns) {
  json j = minimal_config();
  j["data"]["text"] = {{"context_length", 64}};
  ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "data.text");
  EXPECT_TRUE(contains(e.what(), "set data.task to \"text\"")) << e.what();

  for (const char* key : {"warmup_steps", "gradient_clip", "eval_interval"}) {
    j = minimal_config();
    j["train"][key] = 1;
    e = parse_error(j);
    EXPECT_EQ(e.path(), std::string("train.") + key);
    EXPECT_TRUE(contains(e.what(), "only text runs")) << e.what();
  }
}

TEST(ConfigText, StrictTextKeysAndRanges) {
  json j = text_config();
  j["data"]["text"]["context_len"] = 64;
  ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "data.text");
  EXPECT_TRUE(contains(e.what(), "unknown key \"context_len\"")) << e.what();
  EXPECT_TRUE(contains(e.what(), "context_length")) << e.what();

  j = text_config();
  j["data"]["task"] = "pile";
  EXPECT_EQ(parse_error(j).path(), "data.task");
  j = text_config();
  j["data"]["text"]["context_length"] = 0;
  EXPECT_EQ(parse_error(j).path(), "data.text.context_length");
  j = text_config();
  j["data"]["text"]["train_tokens"] = -5;
  EXPECT_EQ(parse_error(j).path(), "data.text.train_tokens");
  j = text_config();
  j["data"]["text"]["shards"] = 3;
  EXPECT_EQ(parse_error(j).path(), "data.text.shards");
  j = text_config();
  j["train"]["gradient_clip"] = -1.0;
  EXPECT_EQ(parse_error(j).path(), "train.gradient_clip");
  j = text_config();
  j["train"]["eval_interval"] = -1;
  EXPECT_EQ(parse_error(j).path(), "train.eval_interval");
}

TEST(ConfigText, PositionsMustCoverTheContext) {
  json j = text_config();
  j["model"]["max_position_embeddings"] = 64;
  ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "model.max_position_embeddings");
  EXPECT_TRUE(contains(e.what(), "data.text.context_length (128)")) << e.what();
  j["model"]["max_position_embeddings"] = 0;
  EXPECT_NO_THROW(parse_run_config(j));
}

TEST(ConfigText, WarmupMustEndBeforeTheLastStep) {
  json j = text_config();
  j["data"]["text"]["train_tokens"] = 16 * 128 * 10;  // 10 steps
  j["train"]["warmup_steps"] = 10;
  ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "train.warmup_steps");
  EXPECT_TRUE(contains(e.what(), "10 steps")) << e.what();
  j["train"]["warmup_steps"] = 9;
  EXPECT_EQ(parse_run_config(j).train.warmup_steps, 9);
}

TEST(ConfigText, ShardsPathsBecomeAbsolute) {
  RunConfig c = parse_run_config(text_config());
  c.data.text.shards = "some/shards/";
  make_text_paths_absolute(c);
  EXPECT_EQ(c.data.text.shards, (std::filesystem::current_path() / "some" / "shards").string());
  c.data.text.shards = "/abs/./x/../shards";
  make_text_paths_absolute(c);
  EXPECT_EQ(c.data.text.shards, "/abs/shards");
  c.data.text.shards = "";
  make_text_paths_absolute(c);
  EXPECT_EQ(c.data.text.shards, "");  // left for the trainer's "pass --shards DIR" error
  RunConfig mqar = parse_run_config(minimal_config());
  const auto before = to_json(mqar);
  make_text_paths_absolute(mqar);
  EXPECT_EQ(to_json(mqar), before);
}

TEST(ConfigText, TextPresetsParse) {
  for (const char* name : {"text-tiny-attention", "text-tiny-baseconv"}) {
    const RunConfig c = load_preset(name);
    EXPECT_TRUE(is_text_task(c.data)) << name;
    EXPECT_EQ(c.data.vocab_size, 4096) << name;
    EXPECT_EQ(c.data.text.context_length, 128) << name;
    EXPECT_EQ(c.data.text.shards, "") << name;
    const int64_t steps = text_train_steps(c.data);
    ASSERT_GT(c.train.eval_interval, 0) << name;
    const int64_t validations = (steps + c.train.eval_interval - 1) / c.train.eval_interval;
    EXPECT_GE(validations, 5) << name;
    EXPECT_LE(validations, 10) << name;
  }
  int paper = 0;
  for (const auto& preset : list_presets()) {
    if (preset.name.rfind("text-paper-", 0) == 0) {
      ++paper;
      EXPECT_EQ(preset.config.data.text.context_length, 1024) << preset.name;
      EXPECT_EQ(preset.config.data.vocab_size, 50257) << preset.name;
      EXPECT_EQ(effective_vocab_size(preset.config), 50304) << preset.name;  // padded to a multiple of 128
    }
  }
  EXPECT_GE(paper, 3);
}

}  // namespace
}  // namespace zoolab
