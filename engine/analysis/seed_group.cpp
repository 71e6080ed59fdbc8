#include "engine/analysis/seed_group.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace zoolab {

const std::vector<std::string>& seed_group_ignored_paths() {
  static const std::vector<std::string> paths = {"name",      "description",    "seed",
                                                 "data.seed", "data.cache_dir", "train.inspect"};
  return paths;
}

std::string seed_group_key(const nlohmann::json& config) {
  if (!config.is_object()) {
    return config.dump();
  }
  nlohmann::json copy = config;
  for (const auto& path : seed_group_ignored_paths()) {
    const auto dot = path.find('.');
    if (dot == std::string::npos) {
      copy.erase(path);
      continue;
    }
    auto parent = copy.find(path.substr(0, dot));
    if (parent != copy.end() && parent->is_object()) {
      parent->erase(path.substr(dot + 1));
    }
  }
  return copy.dump();  // nlohmann::json keeps object keys sorted: the text is canonical
}

SpreadStats spread_of(const std::vector<double>& values) {
  if (values.empty()) {
    throw std::invalid_argument("spread_of: a group needs at least one value");
  }
  SpreadStats stats;
  stats.n = static_cast<int64_t>(values.size());
  stats.min = *std::min_element(values.begin(), values.end());
  stats.max = *std::max_element(values.begin(), values.end());
  double sum = 0.0;
  for (const double value : values) {
    sum += value;
  }
  stats.mean = sum / static_cast<double>(stats.n);
  if (stats.n > 1) {
    double squares = 0.0;
    for (const double value : values) {
      squares += (value - stats.mean) * (value - stats.mean);
    }
    stats.std = std::sqrt(squares / static_cast<double>(stats.n - 1));
  }
  return stats;
}

}  // namespace zoolab
