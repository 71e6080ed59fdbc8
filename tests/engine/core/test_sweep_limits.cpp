// Sweeps that a small file makes huge: the points are counted and sized before any is expanded, and the
// refusal names the grid (or the parts) and the limit.

#include <gtest/gtest.h>

#include <string>

#include "engine/config/json_reader.h"
#include "engine/config/sweep_file.h"
#include "engine/config/sweep_grid.h"
#include "tests/engine/core/config_test_support.h"

namespace zoolab {
namespace {

using config_test::contains;
using config_test::MemoryLimit;
using nlohmann::json;

json base() {
  return json{
      {"name", "b"}, {"seed", 1}, {"model", {{"d_model", 64}, {"n_layers", 2}}}, {"train", {{"x", 1}}}};
}

json values(int n) {
  json list = json::array();
  for (int i = 0; i < n; ++i) {
    list.push_back(i + 1);
  }
  return list;
}

ConfigError expand_error(const json& grid, const json& base_config = base()) {
  try {
    expand_sweep(base_config, grid);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError";
  return ConfigError("", "");
}

TEST(SweepLimits, MorePointsThanTheLimitAreRefused) {
  const ConfigError e = expand_error({{"seed", values(2)}, {"model.d_model", values(50001)}});
  EXPECT_EQ(e.path(), "grid");
  EXPECT_TRUE(contains(e.what(), "100002 points; a sweep may have at most 100000")) << e.what();
  // At the limit it expands.
  EXPECT_EQ(expand_sweep(base(), {{"seed", values(2)}, {"model.d_model", values(50000)}}).size(), 100000u);
}

TEST(SweepLimits, HugeGridsAreCountedNotExpanded) {
  // 30^7 points from a 2 KB file: expanding them took 3.3 GB before bad_alloc.
  json grid = json::array();
  for (const char* path : {"seed", "model.d_model", "model.n_layers", "train.x", "name", "model", "train"}) {
    grid.push_back({path, values(30)});
  }
  grid[5][0] = "model.extra_a";  // paths need not exist for the count; they are resolved after it
  grid[6][0] = "train.extra_b";
  const ConfigError e = expand_error(grid);
  EXPECT_TRUE(contains(e.what(), "21870000000 points")) << e.what();
  // Past 2^64.
  json wide = json::object();
  for (int i = 0; i < 20; ++i) {
    wide["k" + std::to_string(i)] = values(10000);
  }
  EXPECT_TRUE(contains(expand_error(wide).what(), "more than 2^64 points")) << expand_error(wide).what();
}

TEST(SweepLimits, PointsMustFitInMemory) {
  const MemoryLimit limit("1M");
  json big = base();
  big["description"] = std::string(100000, 'x');
  const ConfigError e = expand_error({{"seed", values(100)}}, big);
  EXPECT_EQ(e.path(), "grid");
  EXPECT_TRUE(contains(e.what(), "100 points of up to 98 KiB of configuration each needs about")) << e.what();
  // A long value counts as much as a long base.
  const ConfigError by_value = expand_error({{"seed", values(100)}, {"name", {std::string(100000, 'y')}}});
  EXPECT_TRUE(contains(by_value.what(), "more than the limit of 1.0 MiB")) << by_value.what();
}

TEST(SweepLimits, FieldsPerSweepAreBounded) {
  json grid = json::object();
  for (int i = 0; i <= 1000; ++i) {
    grid["train.k" + std::to_string(i)] = {1};
  }
  const ConfigError e = expand_error(grid);
  EXPECT_TRUE(contains(e.what(), "a sweep may vary at most 1000 fields")) << e.what();
}

TEST(SweepLimits, PartsAreCountedTogetherBeforeAnyIsExpanded) {
  json parts = json::array();
  for (int i = 0; i < 101; ++i) {
    json part_base = base();
    part_base["name"] = "p" + std::to_string(i);
    parts.push_back({{"base", part_base}});
  }
  const json sweep = {{"name", "s"}, {"grid", {{"seed", values(1000)}}}, {"parts", parts}};
  try {
    parse_sweep(sweep);
    ADD_FAILURE() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.path(), "parts");
    EXPECT_TRUE(contains(e.what(), "101000 points; a sweep may have at most 100000")) << e.what();
  }
}

TEST(SweepLimits, DuplicateKeysInASweepFileNameThePath) {
  const std::string path = ::testing::TempDir() + "/sweep-twice.json";
  {
    std::FILE* file = std::fopen(path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs(R"({"name": "s", "base": {"name": "b"}, "grid": {"seed": [1], "seed": [2, 3]}})", file);
    std::fclose(file);
  }
  try {
    load_sweep_file(path);
    ADD_FAILURE() << "no ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_TRUE(contains(e.what(), "duplicate key \"seed\" in grid")) << e.what();
    EXPECT_TRUE(contains(e.what(), path)) << e.what();
  }
}

}  // namespace
}  // namespace zoolab
