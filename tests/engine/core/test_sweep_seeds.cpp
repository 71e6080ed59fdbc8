// Sweeps repeated over run seeds ("seeds": N): every point becomes N runs whose seed counts up from the
// base's, named after it, in one seed group; the limits count the repetitions.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/analysis/seed_group.h"
#include "engine/config/sweep_file.h"
#include "engine/config/sweep_grid.h"
#include "tests/engine/core/config_test_support.h"

namespace zoolab {
namespace {

using config_test::contains;
using nlohmann::json;

json base() {
  return json{{"name", "b"},
              {"seed", 123},
              {"data", {{"seed", 7}, {"vocab_size", 64}}},
              {"model", {{"d_model", 64}, {"n_layers", 2}}},
              {"train", {{"learning_rate", 0.01}}}};
}

ConfigError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError";
  return ConfigError("", "");
}

TEST(SweepSeeds, EveryPointRepeatsOverSeedsFromTheBaseSeed) {
  const auto points = expand_sweep(base(), {{"model.d_model", {32, 64}}}, json(), 3);
  ASSERT_EQ(points.size(), 6u);
  std::vector<std::string> names;
  for (const auto& point : points) {
    names.push_back(point.name);
    EXPECT_EQ(point.config["name"], point.name);
    EXPECT_EQ(point.config["data"]["seed"], 7) << "the repetitions share the dataset";
    EXPECT_EQ(point.assignments.back().first, "seed");
  }
  EXPECT_EQ(names, (std::vector<std::string>{"b-d_model=32-seed=123", "b-d_model=32-seed=124",
                                             "b-d_model=32-seed=125", "b-d_model=64-seed=123",
                                             "b-d_model=64-seed=124", "b-d_model=64-seed=125"}));
  EXPECT_EQ(points[2].config["seed"], 125);
  // A point's repetitions are one seed group; the two widths are two.
  EXPECT_EQ(seed_group_key(points[0].config), seed_group_key(points[2].config));
  EXPECT_NE(seed_group_key(points[0].config), seed_group_key(points[3].config));
}

TEST(SweepSeeds, OneSeedKeepsTodaysNamesAndABaseWithoutSeedStartsAtTheDefault) {
  const auto one = expand_sweep(base(), {{"model.d_model", {32}}}, json(), 1);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].name, "b-d_model=32");
  json bare = base();
  bare.erase("seed");
  const auto points = expand_sweep(bare, json(), json(), 2);
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[0].name, "b-seed=123");  // RunConfig's default seed
  EXPECT_EQ(points[1].config["seed"], 124);
}

TEST(SweepSeeds, SeedIsAnOrdinaryGridDimensionToo) {
  json bare = base();
  bare.erase("seed");  // left at its default, it can still be swept
  const auto points = expand_sweep(bare, {{"seed", {1, 5}}});
  ASSERT_EQ(points.size(), 2u);
  EXPECT_EQ(points[1].name, "b-seed=5");
  EXPECT_EQ(points[1].config["seed"], 5);
  const ConfigError e = error_of([&] { expand_sweep(bare, {{"seed", {1, 5}}}, json(), 2); });
  EXPECT_EQ(e.path(), "seeds");
  EXPECT_TRUE(contains(e.what(), "already varies \"seed\"")) << e.what();
}

TEST(SweepSeeds, SeedsMustBeAnIntegerFrom1To1000) {
  for (const json& bad : {json(0), json(1001), json(-3), json(2.5), json("3"), json(true)}) {
    const json file = {{"name", "s"}, {"base", base()}, {"seeds", bad}};
    const ConfigError e = error_of([&] { parse_sweep(file); });
    EXPECT_EQ(e.path(), "seeds") << bad.dump();
    EXPECT_TRUE(contains(e.what(), "from 1 to 1000")) << e.what();
    EXPECT_TRUE(contains(e.what(), bad.dump())) << e.what();
  }
  EXPECT_EQ(parse_sweep({{"name", "s"}, {"base", base()}, {"seeds", 1000}}).points.size(), 1000u);
  const ConfigError e = error_of([] { expand_sweep(base(), json(), json(), 0); });
  EXPECT_TRUE(contains(e.what(), "got 0")) << e.what();
  json huge = base();
  huge["seed"] = UINT64_MAX - 1;
  EXPECT_TRUE(contains(error_of([&] { expand_sweep(huge, json(), json(), 3); }).what(), "2^64"));
}

TEST(SweepSeeds, ThePointLimitCountsTheRepetitions) {
  json widths = json::array();
  for (int i = 1; i <= 200; ++i) {
    widths.push_back(i);
  }
  const json grid = {{"model.d_model", widths}, {"model.n_layers", widths}};  // 40,000 points
  EXPECT_EQ(measure_sweep(base(), grid, json(), 2).points.value(), std::optional<uint64_t>(80000));
  const ConfigError e = error_of([&] { expand_sweep(base(), grid, json(), 3); });
  EXPECT_EQ(e.path(), "grid");
  EXPECT_TRUE(contains(e.what(), "120000 points")) << e.what();
  const json parts = {
      {"name", "p"}, {"grid", grid}, {"seeds", 2}, {"parts", {{{"base", base()}}, {{"base", base()}}}}};
  const ConfigError whole = error_of([&] { parse_sweep(parts); });
  EXPECT_EQ(whole.path(), "parts");
  EXPECT_TRUE(contains(whole.what(), "160000 points")) << whole.what();
}

TEST(SweepSeeds, PartsInheritTheTopLevelSeedsOrGiveTheirOwn) {
  json other = base();
  other["name"] = "c";
  const json file = {{"name", "p"},
                     {"grid", {{"model.d_model", {32}}}},
                     {"seeds", 2},
                     {"parts", {{{"base", base()}}, {{"base", other}, {"seeds", 3}}}}};
  const SweepSpec spec = parse_sweep(file);
  ASSERT_EQ(spec.points.size(), 5u);
  EXPECT_EQ(spec.points[1].name, "b-d_model=32-seed=124");
  EXPECT_EQ(spec.points[4].name, "c-d_model=32-seed=125");
  const ConfigError e = error_of([&] {
    json bad = file;
    bad["parts"][1]["seeds"] = 0;
    parse_sweep(bad);
  });
  EXPECT_EQ(e.path(), "parts[1].seeds");

  // --seeds replaces the file's seeds everywhere, and the stored source says so.
  const SweepSpec four = with_seeds(spec, 4);
  EXPECT_EQ(four.points.size(), 8u);
  EXPECT_EQ(four.source["seeds"], 4);
  EXPECT_FALSE(four.source["parts"][1].contains("seeds"));
  EXPECT_EQ(error_of([&] { with_seeds(spec, 1001); }).path(), "--seeds");
}

}  // namespace
}  // namespace zoolab
