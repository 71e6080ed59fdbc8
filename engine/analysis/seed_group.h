#pragma once

// Seed groups: runs whose configurations differ only in their seeds are repetitions of one experiment
// (docs/architecture.md#seed-groups). The dashboards plot a group as its mean with error bars, the
// curves tab as a mean with a band, and the pivot table can aggregate by group.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zoolab {

// The configuration fields a seed group ignores: the run's name and description (a sweep names each
// repetition after its seed), both seeds, where the dataset cache lives and what evaluation records for
// the inspector (neither changes what is learnt).
const std::vector<std::string>& seed_group_ignored_paths();

// The group of a run: its configuration without the ignored fields, as canonical JSON text (keys
// sorted). Two runs are in one group exactly when their keys are equal. A configuration that is not a
// JSON object is its own text, so a run whose configuration does not parse is a group of its own kind.
std::string seed_group_key(const nlohmann::json& config);

// The spread of a group's values. `std` is the sample standard deviation (divisor n − 1, as pandas and
// seaborn's "sd" error bars compute it), 0 for a single value.
struct SpreadStats {
  int64_t n = 0;
  double mean = 0.0;
  double std = 0.0;
  double min = 0.0;
  double max = 0.0;
};

// Throws std::invalid_argument for an empty list.
SpreadStats spread_of(const std::vector<double>& values);

}  // namespace zoolab
