#pragma once

// The sweep grid: a base configuration plus, for some of its fields, lists of
// values. Every combination becomes one run configuration. The GUI's sweep dialog and the sweep CLI
// share this expansion, so both name and order the runs the same way.
//
//   grid: {"model.d_model": [64, 128], "train.learning_rate": [1e-3, 1e-2]}        -> 4 runs
//   zip:  [{"data.train.0.input_seq_len": [64, 128], "data.train.0.num_kv_pairs": [4, 8]}]
//         (the lists of one group vary together: 2 runs, not 4)
//
// Paths are dotted; array elements are numbers ("data.train.0.input_seq_len"), and the engine's own
// error-message form "data.train[0].input_seq_len" is accepted too.

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/config_error.h"
#include "engine/util/checked_size.h"

namespace zoolab {

struct SweepPoint {
  // "<base name>-<short key>=<value>-..." (one key per grid path and per zip group, named by the
  // group's first path), also written to config["name"].
  std::string name;
  // The base configuration with this point's values set.
  nlohmann::json config;
  // (normalised dotted path, value) in the order of the dimensions: grid keys, then zip groups.
  std::vector<std::pair<std::string, nlohmann::json>> assignments;
};

// Expands `grid` (an object {path: [values]}, or an array of [path, [values]] pairs when the order
// of the dimensions matters: nlohmann::json sorts object keys) and `zip` (null or an array of groups
// {path: [values]}, each group one dimension whose lists have equal length) over `base`.
// The first dimension varies slowest. Without any dimension the result is `base` alone.
//
// Throws ConfigError naming the path on: a path that is not a field of `base` (inside a "kwargs"
// object a new key may be added, since mixer kwargs are optional), a value list that is not a
// non-empty array, zip lists of unequal length, and a path given twice (or inside another one).
//
// `seeds` > 1 repeats every point over that many run seeds: one more dimension, the last (so a point's
// repetitions are neighbours), setting "seed" to the base's seed (123 when the base has none), + 1, ...
// and naming the runs "...-seed=124". Only the run seed changes (model initialisation and batch order):
// data.seed stays, so the repetitions train and test on the same dataset. A grid that already varies
// "seed" cannot also have seeds > 1 (ConfigError "seeds").
//
// The points are counted before anything is expanded, repetitions included: more than kMaxSweepPoints,
// or more than the memory limit can hold (check_sweep_size), is refused under the path "grid".
std::vector<SweepPoint> expand_sweep(const nlohmann::json& base, const nlohmann::json& grid,
                                     const nlohmann::json& zip = nlohmann::json(), int64_t seeds = 1);

// The most seeds a sweep may repeat each point over.
inline constexpr int64_t kMaxSweepSeeds = 1000;
// Throws ConfigError(`where`, ...) naming the value unless 1 <= seeds <= kMaxSweepSeeds.
void check_sweep_seeds(int64_t seeds, const std::string& where = "seeds");
// A sweep file's "seeds" value: an integer from 1 to kMaxSweepSeeds, else ConfigError(`where`, ...).
int64_t parse_sweep_seeds(const nlohmann::json& value, const std::string& where = "seeds");

// The most points one sweep may have (all its parts together). A tiny file can describe 30^7 points;
// 100,000 is far above any study zoolab runs (Figure 2 is 448) and far below what exhausts memory.
inline constexpr uint64_t kMaxSweepPoints = 100000;
// The most fields one sweep may vary (grid keys and zip paths together; Figure 2 varies 11).
inline constexpr size_t kMaxSweepPaths = 1000;

struct SweepSize {
  CheckedSize points;           // the product of the dimensions' lengths (invalid past 2^64)
  CheckedSize bytes_per_point;  // the base's JSON text plus the longest value of every list
};

// How many points `grid`, `zip` and `seeds` expand to over `base`, and how large one may be, without
// expanding them. Throws ConfigError as expand_sweep does for a malformed grid, zip or seeds.
SweepSize measure_sweep(const nlohmann::json& base, const nlohmann::json& grid,
                        const nlohmann::json& zip = nlohmann::json(), int64_t seeds = 1);

// Throws ConfigError(`what`, ...) when the sweep has more than kMaxSweepPoints points or its points
// would take more than memory_limit_bytes().
void check_sweep_size(const SweepSize& size, const std::string& what);

// "data.train[0].num_kv_pairs" -> "data.train.0.num_kv_pairs"; other paths are returned unchanged.
std::string normalise_sweep_path(const std::string& path);

// The value at a dotted path of `config`, or nullptr when there is none.
const nlohmann::json* find_sweep_path(const nlohmann::json& config, const std::string& path);

}  // namespace zoolab
