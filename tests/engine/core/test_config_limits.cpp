// Configurations that are valid JSON but hostile: sizes whose products overflow, bounds on every size
// field, and --set values that break the strict JSON rules. Each is refused with a ConfigError naming the
// field and what is allowed, before anything is allocated.

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <tuple>

#include "engine/config/config_overrides.h"
#include "engine/config/presets.h"
#include "engine/config/run_config.h"
#include "engine/data/tasks/mqar.h"
#include "tests/engine/core/config_test_support.h"

namespace zoolab {
namespace {

using config_test::contains;
using config_test::minimal_config;
using config_test::parse_error;
using nlohmann::json;

json text_config() {
  return json::parse(R"({"data": {"task": "text", "vocab_size": 256, "batch_size": 4,
                                  "text": {"context_length": 16, "train_tokens": 6400}},
                         "model": {"max_position_embeddings": 16}})");
}

ConfigError override_error(const std::vector<std::string>& assignments) {
  try {
    with_overrides(load_preset("mqar-quick"), assignments);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError";
  return ConfigError("", "");
}

TEST(ConfigLimits, PassesThatOverflowTheContextAreRefused) {
  // 2 · 4 · 2^62 wraps to 0 in int64: the context used to look empty and the data was written out of bounds.
  json j = minimal_config();
  j["data"]["train"][0]["num_passes"] = int64_t{1} << 62;
  const ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "data.train[0].num_passes");
  EXPECT_TRUE(contains(e.what(), "4611686018427387904 passes over 4 kv pairs need more than 2^64 tokens"))
      << e.what();
  EXPECT_TRUE(contains(e.what(), "input_seq_len 64 holds at most 7 passes")) << e.what();

  j = minimal_config();
  j["data"]["train"][0]["num_kv_pairs"] = int64_t{1} << 62;
  EXPECT_EQ(parse_error(j).path(), "data.train[0].num_kv_pairs");
}

TEST(ConfigLimits, ExamplesWhoseBytesOverflowAreRefused) {
  json j = minimal_config();
  j["data"]["test"][0]["num_examples"] = int64_t{1} << 60;
  const ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "data.test[0].num_examples");
  EXPECT_TRUE(contains(e.what(), "1152921504606846976 examples of 64 tokens need more than 2^64 bytes"))
      << e.what();
}

TEST(ConfigLimits, GenerateMqarChecksBeforeAllocating) {
  SegmentConfig s;
  s.input_seq_len = 64;
  s.with("num_kv_pairs", 4);
  s.with("num_passes", int64_t{1} << 62);
  EXPECT_THROW(generate_mqar(s, 8192, 1), ConfigError);
  s.with("num_passes", 1);
  s.num_examples = int64_t{1} << 60;  // N·L wraps to 0 in int64
  EXPECT_THROW(generate_mqar(s, 8192, 1), ConfigError);
  s.num_examples = 1000000000000;  // 10^12 examples: 954 TiB
  try {
    generate_mqar(s, 8192, 1);
    ADD_FAILURE() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "segment.num_examples");
    EXPECT_TRUE(contains(e.what(), "1000000000000 examples of 64 tokens")) << e.what();
    EXPECT_TRUE(contains(e.what(), "more than the limit of")) << e.what();
  }
}

TEST(ConfigLimits, TextStepsNeverDivideByZero) {
  // 2^62 · 4 wraps to 0: validation used to divide by it (SIGFPE).
  DataConfig data;
  data.task = "text";
  data.train_batch_size = int64_t{1} << 62;
  data.text.context_length = 4;
  data.text.train_tokens = 1000000;
  EXPECT_EQ(text_train_steps(data), 1);
  data.train_batch_size = 32;
  data.text.context_length = 128;
  data.text.train_tokens = std::numeric_limits<int64_t>::max();  // ceil without overflowing a + b
  EXPECT_EQ(text_train_steps(data), std::numeric_limits<int64_t>::max() / 4096 + 1);
  data.text.train_tokens = 4096 * 3;
  EXPECT_EQ(text_train_steps(data), 3);

  json j = text_config();
  j["data"]["batch_size"] = int64_t{1} << 62;
  j["data"]["text"]["context_length"] = 4;
  const ConfigError e = parse_error(j);
  EXPECT_EQ(e.path(), "data.batch_size");
  EXPECT_TRUE(contains(e.what(), "expected an integer in [1, 1048576]")) << e.what();
}

TEST(ConfigLimits, SizeFieldsHaveUpperBounds) {
  const std::vector<std::tuple<std::string, int64_t, std::string, std::string>> cases = {
      {"/model/d_model", 1000000, "model.d_model", "[1, 65536]"},
      {"/model/n_layers", int64_t{1} << 40, "model.n_layers", "[1, 1024]"},
      {"/model/max_position_embeddings", int64_t{1} << 21, "model.max_position_embeddings", "[0, 1048576]"},
      {"/data/train/0/input_seq_len", int64_t{1} << 21, "data.train[0].input_seq_len", "[1, 1048576]"},
      {"/data/batch_size", int64_t{1} << 21, "data.batch_size", "[1, 1048576]"},
  };
  for (const auto& [pointer, value, path, allowed] : cases) {
    json j = minimal_config();
    j[json::json_pointer(pointer)] = value;
    const ConfigError e = parse_error(j);
    EXPECT_EQ(e.path(), path) << pointer;
    EXPECT_TRUE(contains(e.what(), allowed)) << e.what();
  }
  json j = text_config();
  j["data"]["text"]["context_length"] = int64_t{1} << 21;
  EXPECT_EQ(parse_error(j).path(), "data.text.context_length");
  // The bounds themselves are allowed.
  j = minimal_config();
  j["model"]["d_model"] = 65536;
  j["model"]["n_layers"] = 1024;
  EXPECT_NO_THROW(parse_run_config(j));
}

TEST(ConfigLimits, SetValuesFollowTheStrictJsonRules) {
  // A key given twice used to keep the later value silently.
  ConfigError e = override_error({R"(model.sequence_mixer.kwargs={"num_heads": 1, "num_heads": 2})"});
  EXPECT_EQ(e.path(), "model.sequence_mixer.kwargs");
  EXPECT_TRUE(contains(e.what(), "duplicate key \"num_heads\"")) << e.what();
  // Nesting past the limit: copying and printing such a value used to exhaust the stack.
  const std::string deep = std::string(50000, '[') + std::string(50000, ']');
  e = override_error({"model.sequence_mixer.kwargs.num_heads=" + deep});
  EXPECT_EQ(e.path(), "model.sequence_mixer.kwargs.num_heads");
  EXPECT_TRUE(contains(e.what(), "nested deeper than 64 levels")) << e.what();
  // Text that is not JSON at all is still a plain string.
  EXPECT_TRUE(contains(with_overrides(load_preset("mqar-quick"), {"name=[not json"}).name, "[not json"));
}

TEST(ConfigLimits, MessagesDoNotCarryControlCharacters) {
  // An unknown key and a --set path are quoted escaped: they must not reach the terminal as they are.
  json j = minimal_config();
  j["\x1b[2J"] = 1;
  ConfigError e = parse_error(j);
  EXPECT_TRUE(contains(e.what(), "unknown key \"\\x1b[2J\"")) << e.what();
  EXPECT_FALSE(contains(e.what(), "\x1b")) << e.what();
  e = override_error({"model.\x1b[2J=1"});
  EXPECT_EQ(e.path(), "--set");
  EXPECT_FALSE(contains(e.what(), "\x1b")) << e.what();
  e = override_error({"\x1b[2J"});
  EXPECT_FALSE(contains(e.what(), "\x1b")) << e.what();
}

}  // namespace
}  // namespace zoolab
