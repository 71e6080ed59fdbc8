// The task registry as a whole: every task is documented, validates its segments by its specs, generates
// well-formed data deterministically and finds a fact for every query. Each task's exactness against the
// reference is tested in its own file.

#include <gtest/gtest.h>

#include <set>

#include "engine/config/run_config.h"
#include "engine/data/task_registry.h"

namespace zoolab {
namespace {

using nlohmann::json;

SegmentConfig example_segment(const TaskSpec& spec) {
  json segment = spec.example;
  segment["task"] = spec.name;
  json config = {{"name", "t"},
                 {"data",
                  {{"vocab_size", spec.example_vocab_size},
                   {"train", json::array({segment})},
                   {"test", json::array({segment})}}},
                 {"model", {{"d_model", 16}, {"sequence_mixer", {{"name", "attention"}}}}}};
  return parse_run_config(config).data.train.at(0);
}

TEST(TaskRegistry, EveryTaskIsDocumentedWithAValidExample) {
  std::set<std::string> names;
  for (const auto& spec : task_registry()) {
    SCOPED_TRACE(spec.name);
    EXPECT_TRUE(names.insert(spec.name).second) << "registered twice";
    EXPECT_FALSE(spec.summary.empty());
    EXPECT_TRUE(spec.family == "mqar" || spec.family == "circuits" || spec.family == "mad") << spec.family;
    EXPECT_FALSE(spec.slice_keys.empty());
    for (const auto& param : spec.params) {
      EXPECT_FALSE(param.doc.empty()) << param.name;
      EXPECT_FALSE(param.default_value.is_null()) << param.name;
    }
    ASSERT_TRUE(spec.check_shape && spec.generate && spec.query_facts);
    ASSERT_GT(spec.example_vocab_size, 0);
    EXPECT_NO_THROW(example_segment(spec));
  }
}

TEST(TaskRegistry, EveryTaskGeneratesWellFormedDataDeterministically) {
  for (const auto& spec : task_registry()) {
    SCOPED_TRACE(spec.name);
    const SegmentConfig segment = example_segment(spec);
    const int64_t V = spec.example_vocab_size;
    const TokenSegment a = generate_segment(segment, V, 11);
    EXPECT_EQ(a.task, spec.name);
    ASSERT_EQ(a.num_examples, segment.num_examples);
    ASSERT_EQ(a.seq_len, segment.input_seq_len);
    ASSERT_EQ(a.inputs.size(), static_cast<size_t>(a.num_examples * a.seq_len));
    ASSERT_EQ(a.labels.size(), a.inputs.size());
    for (size_t i = 0; i < a.inputs.size(); ++i) {
      ASSERT_GE(a.inputs[i], 0);
      ASSERT_LT(a.inputs[i], V);
      ASSERT_TRUE(a.labels[i] == kIgnoreLabel || (a.labels[i] >= 0 && a.labels[i] < V)) << a.labels[i];
    }
    for (const auto& key : spec.slice_keys) {
      EXPECT_EQ(a.slices.count(key), 1u) << key;
    }
    // Every example asks something, and every query has its facts.
    for (int64_t n = 0; n < a.num_examples; ++n) {
      const int64_t* inputs = a.inputs.data() + n * a.seq_len;
      const int64_t* labels = a.labels.data() + n * a.seq_len;
      int64_t labelled = 0;
      for (int64_t t = 0; t < a.seq_len; ++t) {
        labelled += labels[t] != kIgnoreLabel;
      }
      ASSERT_GT(labelled, 0) << "example " << n;
      const auto facts = spec.query_facts(inputs, labels, a.seq_len, a.slices);
      ASSERT_EQ(static_cast<int64_t>(facts.size()), labelled) << "example " << n;
      for (const auto& f : facts) {
        ASSERT_EQ(f.target, labels[f.position]);
        ASSERT_EQ(f.key, inputs[f.position]);
        ASSERT_TRUE(f.key_position == -1 || (f.key_position >= 0 && f.key_position < f.position));
      }
    }
    const TokenSegment again = generate_segment(segment, V, 11);
    EXPECT_EQ(again.inputs, a.inputs);
    EXPECT_EQ(again.labels, a.labels);
    const TokenSegment other = generate_segment(segment, V, 12);
    EXPECT_NE(other.inputs, a.inputs);
  }
}

TEST(TaskRegistry, SegmentsRoundTripThroughTheirJson) {
  for (const auto& spec : task_registry()) {
    SCOPED_TRACE(spec.name);
    const SegmentConfig segment = example_segment(spec);
    const json written = segment_to_json(segment);
    EXPECT_EQ(written.at("task"), spec.name);
    for (const auto& param : spec.params) {
      EXPECT_TRUE(written.contains(param.name)) << param.name;
    }
    EXPECT_EQ(written.size(), spec.params.size() + 3);
  }
}

TEST(TaskRegistry, BadSegmentsNameTheirField) {
  const json base = {
      {"name", "t"},
      {"data",
       {{"vocab_size", 64},
        {"train", json::array({{{"task", "mqar"}, {"input_seq_len", 16}, {"num_kv_pairs", 2}}})},
        {"test", json::array({{{"task", "mqar"}, {"input_seq_len", 16}, {"num_kv_pairs", 2}}})}}},
      {"model", {{"d_model", 16}, {"sequence_mixer", {{"name", "attention"}}}}}};
  json bad = base;
  bad["data"]["train"][0]["task"] = "mqra";
  try {
    parse_run_config(bad);
    FAIL() << "unknown task accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "data.train[0].task");
    EXPECT_NE(std::string(e.what()).find("mqar"), std::string::npos) << e.what();
  }
  bad = base;
  bad["data"]["test"][0]["power_a"] = "steep";
  try {
    parse_run_config(bad);
    FAIL() << "a string power_a accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "data.test[0].power_a");
  }
  bad = base;
  bad["data"]["test"][0]["num_updates"] = 2;  // forgetting MQAR's, not MQAR's
  EXPECT_THROW(parse_run_config(bad), ConfigError);
}

TEST(TaskRegistry, SliceKeysAreTheUnionOfTheTasks) {
  const auto keys = all_slice_keys();
  for (const auto& spec : task_registry()) {
    for (const auto& key : spec.slice_keys) {
      EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << key;
    }
  }
}

}  // namespace
}  // namespace zoolab
