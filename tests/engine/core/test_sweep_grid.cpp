// Tests for engine/config/sweep_grid: the sweep grid expansion (docs/architecture.md#configuration).

#include <gtest/gtest.h>

#include "engine/config/sweep_grid.h"

namespace zoolab {
namespace {

using nlohmann::json;

json base() {
  return json::parse(R"({
    "name": "att",
    "data": {"vocab_size": 512, "batch_size": [32, 32],
             "train": [{"input_seq_len": 64, "num_kv_pairs": 4}],
             "test": [{"input_seq_len": 64, "num_kv_pairs": 4}]},
    "model": {"d_model": 64, "sequence_mixer": {"name": "attention", "kwargs": {"num_heads": 1}},
              "state_mixer": {"name": "identity"}},
    "train": {"learning_rate": 0.001}
  })");
}

// The ConfigError thrown by expanding (fails the test if none is thrown).
ConfigError sweep_error(const json& grid, const json& zip = json()) {
  try {
    expand_sweep(base(), grid, zip);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for grid " << grid.dump() << " zip " << zip.dump();
  return ConfigError("", "");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SweepGrid, CartesianProductSetsValuesAndNames) {
  const auto points = expand_sweep(base(), json::parse(R"({"model.d_model": [64, 128],
                                                           "train.learning_rate": [0.001, 0.01]})"));
  ASSERT_EQ(points.size(), 4u);
  // Object keys are sorted: model.d_model first, varying slowest.
  EXPECT_EQ(points[0].name, "att-d_model=64-learning_rate=0.001");
  EXPECT_EQ(points[1].name, "att-d_model=64-learning_rate=0.01");
  EXPECT_EQ(points[2].name, "att-d_model=128-learning_rate=0.001");
  EXPECT_EQ(points[3].name, "att-d_model=128-learning_rate=0.01");
  EXPECT_EQ(points[3].config["model"]["d_model"], 128);
  EXPECT_EQ(points[3].config["train"]["learning_rate"], 0.01);
  EXPECT_EQ(points[3].config["name"], points[3].name);
  // Untouched fields come from the base.
  EXPECT_EQ(points[3].config["data"], base()["data"]);
  ASSERT_EQ(points[2].assignments.size(), 2u);
  EXPECT_EQ(points[2].assignments[0].first, "model.d_model");
  EXPECT_EQ(points[2].assignments[0].second, 128);
  EXPECT_EQ(points[2].assignments[1].first, "train.learning_rate");
}

TEST(SweepGrid, ArrayOfPairsKeepsTheGivenOrder) {
  const auto points = expand_sweep(
      base(), json::parse(R"([["train.learning_rate", [0.001, 0.01]], ["model.d_model", [64, 128]]])"));
  ASSERT_EQ(points.size(), 4u);
  EXPECT_EQ(points[0].name, "att-learning_rate=0.001-d_model=64");
  EXPECT_EQ(points[1].name, "att-learning_rate=0.001-d_model=128");
}

TEST(SweepGrid, ZipGroupsVaryTogether) {
  const auto points = expand_sweep(base(), json::parse(R"({"model.d_model": [64, 128]})"),
                                   json::parse(R"([{"data.train.0.input_seq_len": [64, 128],
                                                    "data.train.0.num_kv_pairs": [4, 8]}])"));
  ASSERT_EQ(points.size(), 4u);
  for (const auto& p : points) {
    const auto& seg = p.config["data"]["train"][0];
    EXPECT_EQ(seg["num_kv_pairs"].get<int>() * 16, seg["input_seq_len"].get<int>()) << p.name;
  }
  // A zip group is named by its first path only.
  EXPECT_EQ(points[1].name, "att-d_model=64-input_seq_len=128");
}

TEST(SweepGrid, EngineStylePathsAndAmbiguousShortKeys) {
  const auto points = expand_sweep(
      base(), json::parse(R"({"data.train[0].input_seq_len": [128], "data.test.0.input_seq_len": [256]})"));
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].config["data"]["train"][0]["input_seq_len"], 128);
  EXPECT_EQ(points[0].config["data"]["test"][0]["input_seq_len"], 256);
  EXPECT_EQ(points[0].name, "att-test.0.input_seq_len=256-train.0.input_seq_len=128");
}

TEST(SweepGrid, KwargsMayBeAddedButOtherKeysMustExist) {
  const auto points = expand_sweep(base(), json::parse(R"({"model.sequence_mixer.kwargs.dropout": [0.1],
                                                           "model.state_mixer.kwargs.hidden_mult": [2],
                                                           "data.batch_size.1": [64]})"));
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].config["model"]["sequence_mixer"]["kwargs"]["dropout"], 0.1);
  EXPECT_EQ(points[0].config["model"]["state_mixer"]["kwargs"]["hidden_mult"], 2);
  EXPECT_EQ(points[0].config["data"]["batch_size"], json::parse("[32, 64]"));

  const ConfigError e = sweep_error(json::parse(R"({"model.d_modl": [1]})"));
  EXPECT_EQ(e.path(), "model.d_modl");
  EXPECT_TRUE(contains(e.what(), "d_model")) << e.what();  // lists what exists
  EXPECT_EQ(sweep_error(json::parse(R"({"train.weight_decay": [0.0]})")).path(), "train.weight_decay");
  EXPECT_TRUE(
      contains(sweep_error(json::parse(R"({"data.train.3.num_kv_pairs": [1]})")).what(), "out of range"));
  EXPECT_TRUE(contains(sweep_error(json::parse(R"({"model.d_model.x": [1]})")).what(), "a number"));
}

TEST(SweepGrid, RejectsBadValueListsAndDuplicates) {
  EXPECT_TRUE(contains(sweep_error(json::parse(R"({"model.d_model": []})")).what(), "empty"));
  EXPECT_TRUE(contains(sweep_error(json::parse(R"({"model.d_model": 64})")).what(), "list of values"));
  const ConfigError unequal = sweep_error(json(), json::parse(R"([{"model.d_model": [64, 128],
                                                                    "train.learning_rate": [0.1]}])"));
  EXPECT_EQ(unequal.path(), "train.learning_rate");
  EXPECT_TRUE(contains(unequal.what(), "equal")) << unequal.what();
  const ConfigError twice =
      sweep_error(json::parse(R"({"model.d_model": [64]})"), json::parse(R"([{"model.d_model": [128]}])"));
  EXPECT_EQ(twice.path(), "model.d_model");
  EXPECT_TRUE(contains(twice.what(), "twice"));
  EXPECT_TRUE(contains(sweep_error(json::parse(R"([["data.train[0].input_seq_len", [64]],
                                                   ["data.train.0.input_seq_len", [128]]])"))
                           .what(),
                       "twice"));
  EXPECT_TRUE(contains(
      sweep_error(json::parse(R"({"model.sequence_mixer": [{}], "model.sequence_mixer.name": ["x"]})"))
          .what(),
      "overlaps"));
}

TEST(SweepGrid, EmptyGridIsTheBaseAlone) {
  const auto points = expand_sweep(base(), json::object());
  ASSERT_EQ(points.size(), 1u);
  EXPECT_EQ(points[0].name, "att");
  EXPECT_EQ(points[0].config, base());
  EXPECT_TRUE(points[0].assignments.empty());
}

TEST(SweepGrid, FindPath) {
  const json b = base();
  ASSERT_NE(find_sweep_path(b, "data.train[0].num_kv_pairs"), nullptr);
  EXPECT_EQ(*find_sweep_path(b, "data.train.0.num_kv_pairs"), 4);
  EXPECT_EQ(find_sweep_path(b, "data.train.1.num_kv_pairs"), nullptr);
  EXPECT_EQ(find_sweep_path(b, "model.nope"), nullptr);
}

}  // namespace
}  // namespace zoolab
