// Tests for engine/config: the strict JSON reader, run configs (docs/architecture.md#configuration) and
// presets.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "engine/config/json_reader.h"
#include "engine/config/presets.h"
#include "engine/config/run_config.h"
#include "tests/engine/core/config_test_support.h"
#include "tests/support/temp_dir.h"

namespace zoolab {
namespace {

using nlohmann::json;

using config_test::contains;
using config_test::minimal_config;
using config_test::parse_error;

TEST(Config, DefaultsFollowZoology) {
  const RunConfig c = parse_run_config(minimal_config());
  EXPECT_EQ(c.name, "default");
  EXPECT_EQ(c.seed, 123u);
  EXPECT_EQ(c.data.vocab_size, 8192);
  EXPECT_EQ(c.data.train_batch_size, 32);
  EXPECT_EQ(c.data.test_batch_size, 32);
  EXPECT_EQ(c.data.seed, 123u);
  ASSERT_EQ(c.data.train.size(), 1u);
  const SegmentConfig& s = c.data.train[0];
  EXPECT_EQ(s.task, "mqar");
  EXPECT_EQ(s.input_seq_len, 64);
  EXPECT_EQ(s.integer("num_kv_pairs"), 4);
  EXPECT_EQ(s.num_examples, 1000);
  EXPECT_DOUBLE_EQ(s.number("power_a"), 0.01);
  EXPECT_TRUE(s.flag("random_non_queries"));
  EXPECT_EQ(s.integer("num_passes"), 1);
  EXPECT_EQ(c.model.d_model, 128);
  EXPECT_EQ(c.model.n_layers, 2);
  EXPECT_EQ(c.model.max_position_embeddings, 64);
  EXPECT_EQ(c.model.sequence_mixer.name, "attention");
  EXPECT_EQ(c.model.state_mixer.name, "mlp");
  EXPECT_EQ(c.model.state_mixer.kwargs, json({{"hidden_mult", 4}}));
  EXPECT_EQ(c.train.max_epochs, 100);
  EXPECT_DOUBLE_EQ(c.train.learning_rate, 1e-3);
  EXPECT_DOUBLE_EQ(c.train.weight_decay, 0.1);
  EXPECT_EQ(c.train.early_stopping_metric, "valid/accuracy");
  EXPECT_DOUBLE_EQ(c.train.early_stopping_threshold, 0.99);
  EXPECT_TRUE(c.train.slice_keys.empty());
  EXPECT_FALSE(c.train.shuffle);
  EXPECT_EQ(c.train.accuracy_average, "example");
  EXPECT_EQ(c.train.lm_head, "labelled");
  EXPECT_EQ(effective_vocab_size(c), 8192);
  EXPECT_EQ(max_seq_len(c.data), 64);
  // Zoology's MQARConfig default of 8 kv pairs.
  const RunConfig bare = parse_run_config(json::parse(R"({"data": {"train": [{}], "test": [{}]}})"));
  EXPECT_EQ(bare.data.train[0].integer("num_kv_pairs"), 8);
  EXPECT_EQ(bare.data.test[0].input_seq_len, 64);
}

TEST(Config, DesignExampleParsesWithEveryField) {
  const json j = json::parse(R"({
    "name": "attention-d64-L64", "seed": 7,
    "data": {"vocab_size": 8192, "batch_size": [512, 256], "seed": 0,
             "train": [{"task": "mqar", "input_seq_len": 64, "num_kv_pairs": 4, "num_examples": 100000,
                        "power_a": 0.01, "random_non_queries": false}],
             "test": [{"input_seq_len": 256, "num_kv_pairs": 16, "num_examples": 3000}]},
    "model": {"d_model": 64, "max_position_embeddings": 256, "vocab_size": 8200,
              "sequence_mixer": {"name": "attention", "kwargs": {"num_heads": 1, "dropout": 0.1}},
              "state_mixer": {"name": "identity"}},
    "train": {"max_epochs": 64, "slice_keys": ["num_kv_pairs", "input_seq_len"], "lm_head": "all"}})");
  const RunConfig c = parse_run_config(j);
  EXPECT_EQ(c.name, "attention-d64-L64");
  EXPECT_EQ(c.seed, 7u);
  EXPECT_EQ(c.data.train_batch_size, 512);
  EXPECT_EQ(c.data.test_batch_size, 256);
  EXPECT_EQ(c.data.seed, 0u);
  EXPECT_EQ(c.data.train[0].num_examples, 100000);
  EXPECT_FALSE(c.data.train[0].flag("random_non_queries"));
  EXPECT_EQ(c.model.sequence_mixer.kwargs, json({{"num_heads", 1}, {"dropout", 0.1}}));
  EXPECT_EQ(c.model.state_mixer.kwargs, json::object());
  EXPECT_EQ(effective_vocab_size(c), 8200);
  EXPECT_EQ(max_seq_len(c.data), 256);
  EXPECT_EQ(c.train.slice_keys, (std::vector<std::string>{"num_kv_pairs", "input_seq_len"}));
  EXPECT_EQ(c.train.lm_head, "all");
}

TEST(Config, ToJsonRoundTripsExactly) {
  RunConfig c = parse_run_config(minimal_config());
  c.description = "round trip";
  c.seed = 18446744073709551615ULL;  // the largest uint64 survives
  c.data.test_batch_size = 17;
  c.data.cache_dir = "/tmp/x";
  c.data.train[0].with("power_a", 0.1 + 0.2);  // not representable in short decimal
  c.model.embed_dropout = 1.0 / 3.0;
  c.model.sequence_mixer = {"base_conv", json{{"kernel_size", {3, -1}}, {"l_max", 64}}};
  c.train.slice_keys = {"num_passes"};
  c.train.accuracy_average = "token";
  const json once = to_json(c);
  // Through text, as the database stores it.
  const RunConfig back = parse_run_config(json::parse(once.dump()));
  EXPECT_EQ(to_json(back), once);
  EXPECT_EQ(back.seed, c.seed);
  EXPECT_EQ(back.data.train[0].number("power_a"), c.data.train[0].number("power_a"));
  EXPECT_EQ(back.model.embed_dropout, c.model.embed_dropout);
  EXPECT_EQ(back.model.sequence_mixer.kwargs, c.model.sequence_mixer.kwargs);
  EXPECT_EQ(back.data.test_batch_size, 17);
  // Every field is written, defaults included.
  EXPECT_TRUE(once["train"].contains("lm_head"));
  EXPECT_TRUE(once["model"].contains("layer_norm_epsilon"));
  EXPECT_TRUE(once["data"]["train"][0].contains("num_passes"));
}

TEST(Config, UnknownKeysNameTheFullPathAndListAllowedKeys) {
  json j = minimal_config();
  j["sed"] = 1;
  ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "");
  EXPECT_TRUE(contains(e.what(), "unknown key \"sed\"; allowed: name, description, seed, data, model, train"))
      << e.what();
  EXPECT_TRUE(contains(e.what(), "did you mean \"seed\"")) << e.what();

  j = minimal_config();
  j["data"]["train"][0]["num_kv_pair"] = 4;
  e = parse_error(j);
  EXPECT_EQ(e.path(), "data.train[0]");
  EXPECT_TRUE(contains(e.what(), "unknown key \"num_kv_pair\"")) << e.what();
  EXPECT_TRUE(contains(e.what(), "num_kv_pairs")) << e.what();

  j = minimal_config();
  j["model"]["sequence_mixer"] = {{"name", "attention"}, {"kwarg", json::object()}};
  e = parse_error(j);
  EXPECT_EQ(
      std::string(e.what()).rfind("model.sequence_mixer: unknown key \"kwarg\"; allowed: name, kwargs", 0),
      0u)
      << e.what();

  j = minimal_config();
  j["train"]["learning_rat"] = 0.1;
  e = parse_error(j);
  EXPECT_EQ(e.path(), "train");
  EXPECT_TRUE(contains(e.what(), "learning_rate")) << e.what();
}

TEST(Config, MixerKwargsAreNotValidatedHere) {
  json j = minimal_config();
  j["model"]["sequence_mixer"] = {{"name", "no_such_mixer"}, {"kwargs", {{"anything", {1, 2}}}}};
  EXPECT_EQ(parse_run_config(j).model.sequence_mixer.name, "no_such_mixer");
  j["model"]["sequence_mixer"] = {{"kwargs", json::object()}};
  EXPECT_EQ(parse_error(j).path(), "model.sequence_mixer.name");
  j["model"]["sequence_mixer"] = {{"name", "x"}, {"kwargs", {1, 2}}};
  EXPECT_EQ(parse_error(j).path(), "model.sequence_mixer.kwargs");
  j["model"]["sequence_mixer"] = "attention";
  EXPECT_EQ(parse_error(j).path(), "model.sequence_mixer");
}

TEST(Config, WrongTypesNameValueAndExpectation) {
  json j = minimal_config();
  j["data"]["train"][0]["num_kv_pairs"] = "four";
  ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "data.train[0].num_kv_pairs");
  EXPECT_STREQ(e.what(), "data.train[0].num_kv_pairs: expected an integer, got \"four\"");

  j = minimal_config();
  j["data"]["train"][0]["num_kv_pairs"] = 4.0;  // 4.0 is not an integer
  EXPECT_EQ(parse_error(j).path(), "data.train[0].num_kv_pairs");
  j = minimal_config();
  j["model"]["d_model"] = true;  // bools are not numbers
  EXPECT_EQ(parse_error(j).path(), "model.d_model");
  j = minimal_config();
  j["train"]["learning_rate"] = false;
  EXPECT_EQ(parse_error(j).path(), "train.learning_rate");
  j = minimal_config();
  j["data"]["train"][0]["random_non_queries"] = 0;
  e = parse_error(j);
  EXPECT_TRUE(contains(e.what(), "expected true or false, got 0")) << e.what();
  j = minimal_config();
  j["seed"] = -1;
  EXPECT_TRUE(contains(parse_error(j).what(), "seed: expected a non-negative integer, got -1"));
  j = minimal_config();
  j["data"] = {1, 2};
  EXPECT_EQ(parse_error(j).path(), "data");
  EXPECT_EQ(parse_error(json::array()).path(), "");
  // An integer is a valid real number.
  j = minimal_config();
  j["train"]["learning_rate"] = 1;
  EXPECT_EQ(parse_run_config(j).train.learning_rate, 1.0);
}

TEST(Config, OutOfRangeValuesAreRefused) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/model/d_model", "model.d_model"},
      {"/model/n_layers", "model.n_layers"},
      {"/train/max_epochs", "train.max_epochs"},
      {"/data/train/0/num_examples", "data.train[0].num_examples"},
      {"/data/test/0/num_passes", "data.test[0].num_passes"},
      {"/data/train/0/power_a", "data.train[0].power_a"},
      {"/train/learning_rate", "train.learning_rate"},
  };
  for (const auto& [pointer, path] : cases) {
    json j = minimal_config();
    j[json::json_pointer(pointer)] = 0;
    EXPECT_EQ(parse_error(j).path(), path) << pointer;
  }
  json j = minimal_config();
  j["model"]["embed_dropout"] = 1.0;
  ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "model.embed_dropout");
  EXPECT_TRUE(contains(e.what(), "expected a number in [0, 1), got 1.0")) << e.what();
  j = minimal_config();
  j["model"]["resid_dropout"] = -0.1;
  EXPECT_EQ(parse_error(j).path(), "model.resid_dropout");
  j = minimal_config();
  j["train"]["accuracy_average"] = "micro";
  e = parse_error(j);
  EXPECT_TRUE(contains(e.what(), "one of \"example\", \"token\", got \"micro\"")) << e.what();
  j = minimal_config();
  j["train"]["lm_head"] = "some";
  EXPECT_EQ(parse_error(j).path(), "train.lm_head");
  j = minimal_config();
  j["train"]["early_stopping_metric"] = "";
  EXPECT_EQ(parse_error(j).path(), "train.early_stopping_metric");
  j = minimal_config();
  j["train"]["slice_keys"] = {"num_kv_pairs", "d_model"};
  e = parse_error(j);
  EXPECT_EQ(e.path(), "train.slice_keys[1]");
  EXPECT_TRUE(contains(e.what(), "\"num_passes\"")) << e.what();
  j = minimal_config();
  j["data"]["train"][0]["task"] = "ar";
  e = parse_error(j);
  EXPECT_EQ(e.path(), "data.train[0].task");
  EXPECT_TRUE(contains(e.what(), "one of \"mqar\"")) << e.what();
}

TEST(Config, ImpossibleMqarShapesNameTheSegmentField) {
  json j = minimal_config();
  j["data"]["train"][0]["input_seq_len"] = 12;
  ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "data.train[0].num_kv_pairs");
  EXPECT_TRUE(contains(e.what(), "4 kv pairs need input_seq_len >= 16, got 12")) << e.what();

  j = minimal_config();
  j["data"]["test"][0]["num_passes"] = 2;
  j["data"]["test"][0]["input_seq_len"] = 16;
  e = parse_error(j);
  EXPECT_EQ(e.path(), "data.test[0].num_kv_pairs");
  EXPECT_TRUE(contains(e.what(), "need input_seq_len >= 24, got 16")) << e.what();

  j = minimal_config();
  j["data"]["train"][0]["input_seq_len"] = 63;
  EXPECT_EQ(parse_error(j).path(), "data.train[0].input_seq_len");
  j = minimal_config();
  j["data"]["vocab_size"] = 64;  // must exceed input_seq_len
  EXPECT_EQ(parse_error(j).path(), "data.train[0].input_seq_len");
  j = minimal_config();
  j["data"]["train"] = json::array();
  EXPECT_EQ(parse_error(j).path(), "data.train");
  EXPECT_EQ(parse_error(json::object()).path(), "data.train");
  j = minimal_config();
  j["data"].erase("test");
  EXPECT_EQ(parse_error(j).path(), "data.test");
  // model-level cross checks
  j = minimal_config();
  j["model"]["vocab_size"] = 100;
  EXPECT_EQ(parse_error(j).path(), "model.vocab_size");
  j = minimal_config();
  j["data"]["test"][0]["input_seq_len"] = 128;
  e = parse_error(j);
  EXPECT_EQ(e.path(), "model.max_position_embeddings");
  EXPECT_TRUE(contains(e.what(), "(128), got 64")) << e.what();
  j["model"]["max_position_embeddings"] = 0;
  EXPECT_NO_THROW(parse_run_config(j));
}

TEST(Config, BatchSizeIsAnIntegerOrATrainTestPair) {
  json j = minimal_config();
  j["data"]["batch_size"] = 64;
  RunConfig c = parse_run_config(j);
  EXPECT_EQ(c.data.train_batch_size, 64);
  EXPECT_EQ(c.data.test_batch_size, 64);
  j["data"]["batch_size"] = {256, 32};
  c = parse_run_config(j);
  EXPECT_EQ(c.data.train_batch_size, 256);
  EXPECT_EQ(c.data.test_batch_size, 32);
  j["data"]["batch_size"] = {256};
  EXPECT_EQ(parse_error(j).path(), "data.batch_size");
  j["data"]["batch_size"] = {256, 0};
  EXPECT_EQ(parse_error(j).path(), "data.batch_size[1]");
  j["data"]["batch_size"] = "big";
  ConfigError e = parse_error(j);
  EXPECT_TRUE(
      contains(e.what(), "expected an integer in [1, 1048576] or a [train, test] pair of them, got \"big\""))
      << e.what();
}

TEST(Config, ReaderChecksTypesAndRequiredKeys) {
  const json j = json::parse(R"({"n": 3, "s": "x", "big": 18446744073709551615, "list": ["a", 1]})");
  ObjectReader r(j, "root");
  EXPECT_EQ(r.get_int64("n", 0, IntRange::between(1, 5)), 3);
  EXPECT_EQ(r.get_int64("missing", 9), 9);
  EXPECT_THROW(r.get_int64("big", 0), ConfigError);  // beyond int64
  EXPECT_EQ(r.get_uint64("big", 0), 18446744073709551615ULL);
  try {
    r.require_string("absent");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "root.absent");
    EXPECT_TRUE(contains(e.what(), "missing required key")) << e.what();
  }
  try {
    r.get_string_list("list", {});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "root.list[1]");
  }
  EXPECT_EQ(r.get_string("s", "", StringRule::one_of({"x", "y"})), "x");
  EXPECT_NO_THROW(r.finish());
  ObjectReader partial(j, "root");
  partial.get_int64("n", 0);
  try {
    partial.finish();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "unknown keys \"big\", \"list\", \"s\"; allowed: n")) << e.what();
  }
  EXPECT_EQ(IntRange::between(2, 7).describe(), "an integer in [2, 7]");
  EXPECT_EQ(DoubleRange::positive().describe(), "a number > 0");
  EXPECT_EQ(DoubleRange::probability_below_one().describe(), "a number in [0, 1)");
}

TEST(Config, EveryBuiltInPresetParses) {
  const auto presets = list_presets();
  ASSERT_GE(presets.size(), 3u);
  for (size_t i = 1; i < presets.size(); ++i)
    EXPECT_LT(presets[i - 1].name, presets[i].name);
  for (const auto& p : presets) {
    EXPECT_EQ(p.config.name, p.name) << "the preset's name field matches its file name";
    EXPECT_FALSE(p.description.empty()) << p.name;
    EXPECT_EQ(to_json(load_preset(p.name)), to_json(p.config)) << p.name;
  }
  const RunConfig attention = load_preset("fig2-attention-L64-d64");
  EXPECT_EQ(attention.data.vocab_size, 8192);
  EXPECT_EQ(attention.data.train[0].num_examples, 100000);
  EXPECT_EQ(attention.data.test[0].num_examples, 3000);
  EXPECT_FALSE(attention.data.train[0].flag("random_non_queries"));
  EXPECT_EQ(attention.model.max_position_embeddings, 64);
  EXPECT_EQ(attention.model.state_mixer.name, "identity");
  const RunConfig conv = load_preset("fig2-base_conv-L64-d64");
  EXPECT_EQ(conv.model.sequence_mixer.name, "base_conv");
  EXPECT_EQ(conv.model.max_position_embeddings, 0);
  EXPECT_EQ(conv.train.max_epochs, 64);
}

TEST(Config, UnknownPresetListsTheAvailableNames) {
  try {
    load_preset("no-such-preset");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "unknown preset \"no-such-preset\"")) << e.what();
    EXPECT_TRUE(contains(e.what(), "fig2-attention-L64-d64")) << e.what();
    EXPECT_TRUE(contains(e.what(), "mqar-quick")) << e.what();
  }
}

class ConfigFileTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const auto path = m_temp.file(name);
    std::ofstream(path) << text;
    return path;
  }
  test_support::TempDir m_temp{"zoolab-config-test"};
  const std::filesystem::path& m_dir = m_temp.path();
};

TEST_F(ConfigFileTest, LoadsAValidFile) {
  const std::string path = write("ok.json", minimal_config().dump(2));
  EXPECT_EQ(load_run_config_file(path).data.train[0].integer("num_kv_pairs"), 4);
}

TEST_F(ConfigFileTest, MissingFileNamesThePath) {
  const std::string path = (m_dir / "absent.json").string();
  try {
    load_run_config_file(path);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_TRUE(contains(e.what(), "cannot open")) << e.what();
  }
}

TEST_F(ConfigFileTest, SyntaxErrorNamesFileLineAndColumn) {
  const std::string path = write("bad.json", "{\n  \"seed\": 1,\n  \"data\": {,}\n}\n");
  try {
    load_run_config_file(path);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), path);
    EXPECT_TRUE(contains(e.what(), "invalid JSON")) << e.what();
    EXPECT_TRUE(contains(e.what(), "line 3, column")) << e.what();
    EXPECT_TRUE(contains(e.what(), "(byte ")) << e.what();
  }
}

}  // namespace
}  // namespace zoolab

namespace zoolab {
namespace {

TEST(Config, InspectSettingsAreStrictAndRoundTrip) {
  json j = json::parse(R"({"data": {"train": [{"num_kv_pairs": 4}], "test": [{"num_kv_pairs": 4}]}})");
  auto config = parse_run_config(j);
  EXPECT_TRUE(config.train.inspect.records);
  EXPECT_EQ(config.train.inspect.tracked_examples, 32);
  EXPECT_EQ(config.train.inspect.pattern_examples, 2);
  EXPECT_TRUE(config.train.inspect.mixing_matrix);

  j["train"]["inspect"] = {{"records", false}, {"tracked_examples", 5}, {"pattern_examples", 0}};
  config = parse_run_config(j);
  EXPECT_FALSE(config.train.inspect.records);
  EXPECT_EQ(config.train.inspect.tracked_examples, 5);
  EXPECT_EQ(parse_run_config(to_json(config)).train.inspect.tracked_examples, 5);

  j["train"]["inspect"] = {{"tracked_example", 5}};
  try {
    parse_run_config(j);
    ADD_FAILURE() << "no error for train.inspect.tracked_example";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "train.inspect");
    EXPECT_NE(std::string(e.what()).find("did you mean \"tracked_examples\""), std::string::npos) << e.what();
  }
  j["train"]["inspect"] = {{"pattern_examples", -1}};
  EXPECT_THROW(parse_run_config(j), ConfigError);
}

}  // namespace
}  // namespace zoolab
