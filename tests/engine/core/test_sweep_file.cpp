// Tests for engine/config/sweep_file: sweep files with parts, shards, and the built-in paper sweeps.

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>

#include "engine/config/run_config.h"
#include "engine/config/sweep_file.h"

namespace zoolab {
namespace {

using nlohmann::json;

json config(const std::string& name, const std::string& mixer) {
  return json{{"name", name},
              {"data",
               {{"vocab_size", 512},
                {"train", json::array({{{"input_seq_len", 64}, {"num_kv_pairs", 4}}})},
                {"test", json::array({{{"input_seq_len", 64}, {"num_kv_pairs", 4}}})}}},
              {"model", {{"d_model", 64}, {"sequence_mixer", {{"name", mixer}, {"kwargs", json::object()}}}}},
              {"train", {{"learning_rate", 0.001}}}};
}

std::string error_of(const json& sweep) {
  try {
    parse_sweep(sweep);
  } catch (const ConfigError& error) {
    return error.what();
  }
  ADD_FAILURE() << "no ConfigError for " << sweep.dump();
  return "";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(SweepFile, PartsShareTheTopLevelGridAndKeepTheirOwnZip) {
  json sweep = {
      {"name", "s"},
      {"grid", json::array({json::array({"model.d_model", {64, 128}})})},
      {"parts", json::array({{{"base", config("att", "attention")}},
                             {{"base", config("conv", "base_conv")},
                              {"zip", json::array({json::array(
                                          {json::array({"data.train.0.input_seq_len", {64, 128}}),
                                           json::array({"data.test.0.input_seq_len", {64, 128}})})})}}})}};
  const SweepSpec spec = parse_sweep(sweep);
  EXPECT_EQ(spec.name, "s");
  ASSERT_EQ(spec.points.size(), 2u + 4u);
  EXPECT_EQ(spec.points[0].name, "att-d_model=64");
  EXPECT_EQ(spec.points[1].name, "att-d_model=128");
  EXPECT_EQ(spec.points[2].name, "conv-d_model=64-input_seq_len=64");
  EXPECT_EQ(spec.points[5].name, "conv-d_model=128-input_seq_len=128");
  EXPECT_EQ(spec.points[5].config["data"]["test"][0]["input_seq_len"], 128);
  EXPECT_EQ(spec.points[5].config["model"]["d_model"], 128);
  EXPECT_EQ(spec.source, sweep);
}

TEST(SweepFile, SingleBaseFormMatchesExpandSweep) {
  const json grid = {{"model.d_model", {64, 128}}, {"train.learning_rate", {0.1, 0.01}}};
  const SweepSpec spec = parse_sweep({{"name", "one"}, {"base", config("att", "attention")}, {"grid", grid}});
  const auto expected = expand_sweep(config("att", "attention"), grid);
  ASSERT_EQ(spec.points.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(spec.points[i].name, expected[i].name);
    EXPECT_EQ(spec.points[i].config, expected[i].config);
  }
}

TEST(SweepFile, StrictErrorsNameTheProblem) {
  EXPECT_TRUE(contains(error_of({{"base", config("a", "attention")}}), "name"));
  EXPECT_TRUE(contains(error_of({{"name", "s"}}), "exactly one of \"base\""));
  EXPECT_TRUE(
      contains(error_of({{"name", "s"}, {"base", config("a", "attention")}, {"parts", json::array()}}),
               "exactly one of \"base\""));
  EXPECT_TRUE(
      contains(error_of({{"name", "s"}, {"base", config("a", "attention")}, {"gird", json::object()}}),
               "unknown key \"gird\""));
  EXPECT_TRUE(contains(error_of({{"name", "s"}, {"parts", json::array()}}), "empty"));
  EXPECT_TRUE(contains(error_of({{"name", "s"}, {"parts", json::array({{{"grid", json::object()}}})}}),
                       "parts[0].base"));
  // Two parts with the same base name give the same run names: the sweep could not tell them apart.
  const std::string duplicate = error_of(
      {{"name", "s"},
       {"parts", json::array({{{"base", config("a", "attention")}}, {{"base", config("a", "base_conv")}}})}});
  EXPECT_TRUE(contains(duplicate, "both named \"a\"")) << duplicate;
  const std::string bad_path = error_of(
      {{"name", "s"},
       {"parts", json::array({{{"base", config("a", "attention")}, {"grid", {{"model.width", {1}}}}}})}});
  EXPECT_TRUE(contains(bad_path, "parts[0]")) << bad_path;
  EXPECT_TRUE(contains(bad_path, "model.width")) << bad_path;
}

TEST(SweepFile, ShardsPartitionTheSweep) {
  std::vector<SweepPoint> points(10);
  for (size_t i = 0; i < points.size(); ++i)
    points[i].name = "p" + std::to_string(i);
  std::multiset<std::string> seen;
  for (int shard = 0; shard < 3; ++shard) {
    const auto part = select_shard(points, shard, 3);
    EXPECT_EQ(part.front().name, "p" + std::to_string(shard));
    for (const auto& point : part)
      seen.insert(point.name);
  }
  EXPECT_EQ(seen.size(), points.size());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), points.size());
  EXPECT_EQ(parse_shard("2/5"), std::make_pair(2, 5));
  for (const char* bad : {"5/5", "1", "a/b", "-1/3", "1/0", "1/3/4"})
    EXPECT_THROW(parse_shard(bad), ConfigError) << bad;
  EXPECT_THROW(select_shard(points, 3, 3), ConfigError);
}

// Zoology Figure 2 (docs/reference.md#paper-configurations): 7 models x 4 widths x 4 learning rates x 4
// (sequence length, kv pairs) settings, with each model's length-dependent kwargs following L.
TEST(SweepPresets, ZoologyFigure2IsThePapersGrid) {
  const SweepSpec spec = load_sweep_preset("zoology-figure2");
  ASSERT_EQ(spec.points.size(), 448u);
  const std::map<int, int> kv = {{64, 4}, {128, 8}, {256, 16}, {512, 64}};
  const std::map<int, int> batch = {{64, 512}, {128, 512}, {256, 256}, {512, 128}};
  std::set<std::tuple<std::string, int, double, int>> cells;
  for (const auto& point : spec.points) {
    const RunConfig c = parse_run_config(point.config);
    const int seq = static_cast<int>(c.data.train.at(0).input_seq_len);
    EXPECT_EQ(c.data.train.at(0).integer("num_kv_pairs"), kv.at(seq)) << point.name;
    EXPECT_EQ(c.data.test.at(0).input_seq_len, seq) << point.name;
    EXPECT_EQ(c.data.test.at(0).integer("num_kv_pairs"), kv.at(seq)) << point.name;
    EXPECT_EQ(c.data.train.at(0).num_examples, 100000) << point.name;
    EXPECT_EQ(c.data.test.at(0).num_examples, 3000) << point.name;
    EXPECT_EQ(c.data.train_batch_size, batch.at(seq)) << point.name;
    EXPECT_EQ(c.train.max_epochs, 64);
    const std::string mixer = c.model.sequence_mixer.name;
    const json& kwargs = c.model.sequence_mixer.kwargs;
    if (mixer == "h3") {
      EXPECT_EQ(kwargs.at("d_state"), seq) << point.name;
    }
    if (mixer == "attention") {
      EXPECT_EQ(c.model.max_position_embeddings, seq) << point.name;
    } else if (mixer == "hybrid") {
      for (const auto& layer : kwargs.at("configs"))
        EXPECT_EQ(layer.at("kwargs").at("l_max"), seq) << point.name;
    } else if (mixer != "mamba") {
      EXPECT_EQ(kwargs.at("l_max"), seq) << point.name;
    }
    cells.insert({mixer, static_cast<int>(c.model.d_model), c.train.learning_rate, seq});
  }
  EXPECT_EQ(cells.size(), 448u);  // every (model, width, lr, length) once
}

TEST(SweepPresets, EveryBuiltInSweepParsesAndCountsItsRuns) {
  const auto presets = list_sweep_presets();
  std::map<std::string, size_t> counts;
  for (const auto& preset : presets) {
    counts[preset.name] = preset.num_runs;
    EXPECT_FALSE(preset.description.empty()) << preset.name;
    for (const auto& point : load_sweep_preset(preset.name).points)
      EXPECT_NO_THROW(parse_run_config(point.config)) << point.name;
  }
  EXPECT_EQ(counts.at("zoology-figure2"), 448u);
  // 2 attention + 9 Based + 8 sliding window + 9 Mamba + 3 Hyena + 3 H3 + 9 Mamba-2 models x 4 learning
  // rates.
  EXPECT_EQ(counts.at("based-figure2"), 172u);
  EXPECT_EQ(counts.at("zoology-figure2-mini"), 8u);
  // 3 attention + 9 Based + 9 Mamba-2 + 8 sliding window + 3 each of DeltaNet, RWKV-7, GLA, Gated DeltaNet
  // and NSA + 12 TTT models x 4 learning rates; the mini sweep one run per model.
  EXPECT_EQ(counts.at("zoology-mqar-repro"), 224u);
  EXPECT_EQ(counts.at("zoology-mqar-repro-mini"), 9u);
  try {
    load_sweep_preset("figure-9");
    FAIL() << "an unknown sweep preset loaded";
  } catch (const ConfigError& error) {
    EXPECT_TRUE(contains(error.what(), "zoology-figure2")) << error.what();
  }
}

}  // namespace
}  // namespace zoolab
