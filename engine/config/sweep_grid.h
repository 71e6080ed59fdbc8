#pragma once

// The sweep grid of shared/DESIGN.md §4: a base configuration plus, for some of its fields, lists of
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
std::vector<SweepPoint> expand_sweep(const nlohmann::json& base, const nlohmann::json& grid,
                                     const nlohmann::json& zip = nlohmann::json());

// "data.train[0].num_kv_pairs" -> "data.train.0.num_kv_pairs"; other paths are returned unchanged.
std::string normalise_sweep_path(const std::string& path);

// The value at a dotted path of `config`, or nullptr when there is none.
const nlohmann::json* find_sweep_path(const nlohmann::json& config, const std::string& path);

}  // namespace zoolab
