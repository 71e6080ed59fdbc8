#include "engine/config/sweep_grid.h"

#include <algorithm>
#include <cctype>
#include <limits>

#include "engine/config/config_overrides.h"
#include "engine/config/json_reader.h"
#include "engine/config/run_config.h"
#include "engine/text/utf8.h"
#include "engine/util/memory_budget.h"

namespace zoolab {

namespace {

using nlohmann::json;

// One dimension of the product: a grid key (one path) or a zip group (several paths whose lists
// have the same length and advance together).
struct Dimension {
  std::vector<std::string> paths;  // normalised
  std::vector<json> lists;         // lists[i] holds the values of paths[i]
  size_t size = 0;
};

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    parts.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos)
      break;
    start = dot + 1;
  }
  return parts;
}

bool is_index(const std::string& part) {
  return !part.empty() &&
         std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isdigit(c); });
}

std::string join_parts(const std::vector<std::string>& parts, size_t begin, size_t end) {
  std::string out;
  for (size_t i = begin; i < end; ++i)
    out += (i == begin ? "" : ".") + parts[i];
  return out;
}

std::string kind_of(const json& value) {
  if (value.is_object())
    return "an object";
  if (value.is_array())
    return "a list";
  if (value.is_string())
    return "a string";
  if (value.is_boolean())
    return "a boolean";
  if (value.is_null())
    return "null";
  return "a number";
}

// The node at `path` in `config`, created where the sweep may add keys (mixer kwargs: every kwarg
// is optional, so a base that leaves one at its default must still be sweepable over it).
json& resolve_for_write(json& config, const std::string& path) {
  const std::vector<std::string> parts = split_path(path);
  json* node = &config;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& part = parts[i];
    const std::string here = join_parts(parts, 0, i);
    const std::string where = here.empty() ? "the configuration" : here;
    if (part.empty()) {
      throw ConfigError(path,
                        "empty path component; write fields separated by single dots, e.g. model.d_model");
    }
    if (node->is_array()) {
      if (!is_index(part)) {
        throw ConfigError(path, where + " is a list; address its elements by number, e.g. " + here + ".0");
      }
      const size_t index = std::stoul(part);
      if (index >= node->size()) {
        throw ConfigError(path, where + " has " + std::to_string(node->size()) + " element(s); index " +
                                    part + " is out of range");
      }
      node = &(*node)[index];
      continue;
    }
    if (!node->is_object()) {
      throw ConfigError(path, where + " is " + kind_of(*node) + ", it has no field \"" + part + "\"");
    }
    if (!node->contains(part)) {
      const bool in_kwargs = i > 0 && parts[i - 1] == "kwargs";
      const bool new_kwargs = part == "kwargs" && i + 1 < parts.size() && node->contains("name");
      // The run seed is what repetitions vary: a base leaving it at its default can still be swept.
      const bool run_seed = parts.size() == 1 && part == "seed";
      if (!in_kwargs && !new_kwargs && !run_seed) {
        std::string keys;
        for (auto it = node->begin(); it != node->end(); ++it)
          keys += (keys.empty() ? "" : ", ") + escape_for_terminal(it.key());
        throw ConfigError(path, "not a field of the base configuration; " + where +
                                    " has: " + (keys.empty() ? "no fields" : keys) +
                                    " (a field left at its default must be written in the base to be swept)");
      }
      (*node)[part] = new_kwargs ? json::object() : json();
    }
    node = &(*node)[part];
  }
  return *node;
}

// The (path, values) pairs of a grid or zip group: an object, or an array of [path, values] pairs.
std::vector<std::pair<std::string, json>> entries_of(const json& spec, const std::string& what) {
  std::vector<std::pair<std::string, json>> out;
  if (spec.is_object()) {
    for (auto it = spec.begin(); it != spec.end(); ++it)
      out.emplace_back(it.key(), it.value());
    return out;
  }
  if (spec.is_array()) {
    for (size_t i = 0; i < spec.size(); ++i) {
      const json& pair = spec[i];
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string()) {
        throw ConfigError(what + "[" + std::to_string(i) + "]",
                          "expected a [\"dotted.path\", [values...]] pair, got " + describe_json_value(pair));
      }
      out.emplace_back(pair[0].get<std::string>(), pair[1]);
    }
    return out;
  }
  throw ConfigError(
      what, "expected an object {\"dotted.path\": [values...]} or a list of [path, values] pairs, got " +
                describe_json_value(spec));
}

void check_values(const std::string& path, const json& values) {
  if (!values.is_array()) {
    throw ConfigError(
        path, "expected a list of values to sweep, e.g. [64, 128], got " + describe_json_value(values));
  }
  if (values.empty()) {
    throw ConfigError(path, "the list of values is empty; give at least one value");
  }
}

// Rejects a path given twice, or one inside another (both would write the same field).
void check_distinct(const std::vector<Dimension>& dimensions) {
  std::vector<std::string> seen;
  for (const auto& d : dimensions) {
    for (const auto& path : d.paths) {
      for (const auto& other : seen) {
        if (other == path) {
          throw ConfigError(path, "given twice; sweep each field in one place only");
        }
        const auto inside = [](const std::string& outer, const std::string& inner) {
          return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 &&
                 inner[outer.size()] == '.';
        };
        if (inside(other, path) || inside(path, other)) {
          throw ConfigError(path, "overlaps " + other + "; sweep either the whole value or its fields");
        }
      }
      seen.push_back(path);
    }
  }
}

// The shortest dotted suffix of each path that no other path shares ("d_model", or
// "train.0.input_seq_len" next to "test.0.input_seq_len").
std::vector<std::string> short_keys(const std::vector<std::string>& paths) {
  std::vector<std::vector<std::string>> split;
  for (const auto& p : paths)
    split.push_back(split_path(p));
  const auto suffix = [](const std::vector<std::string>& parts, size_t k) {
    const size_t n = std::min(k, parts.size());
    return join_parts(parts, parts.size() - n, parts.size());
  };
  std::vector<std::string> out;
  for (size_t i = 0; i < paths.size(); ++i) {
    size_t k = 1;
    while (k < split[i].size()) {
      bool unique = true;
      for (size_t j = 0; j < paths.size() && unique; ++j)
        unique = j == i || suffix(split[j], k) != suffix(split[i], k);
      if (unique)
        break;
      ++k;
    }
    out.push_back(suffix(split[i], k));
  }
  return out;
}

// Shared with `--set` (engine/config/config_overrides.h): JSON objects are summarised, not pasted whole.
std::string value_text(const json& value) {
  return value_name_text(value);
}

}  // namespace

std::string normalise_sweep_path(const std::string& path) {
  std::string out;
  out.reserve(path.size());
  for (char c : path) {
    if (c == '[') {
      out += '.';
    } else if (c != ']') {
      out += c;
    }
  }
  return out;
}

const nlohmann::json* find_sweep_path(const nlohmann::json& config, const std::string& path) {
  const json* node = &config;
  for (const auto& part : split_path(normalise_sweep_path(path))) {
    if (node->is_array() && is_index(part) && std::stoul(part) < node->size()) {
      node = &(*node)[std::stoul(part)];
    } else if (node->is_object() && node->contains(part)) {
      node = &(*node)[part];
    } else {
      return nullptr;
    }
  }
  return node;
}

namespace {

// The dimensions of a grid and its zip groups, checked (see expand_sweep).
std::vector<Dimension> sweep_dimensions(const nlohmann::json& grid, const nlohmann::json& zip) {
  std::vector<Dimension> dimensions;
  size_t paths = 0;
  // Paths are compared pairwise (check_distinct, short_keys): a bound keeps that quadratic work small.
  const auto count_path = [&paths](const std::string& path) {
    if (++paths > kMaxSweepPaths) {
      throw ConfigError(path, "a sweep may vary at most " + std::to_string(kMaxSweepPaths) + " fields");
    }
  };
  if (!grid.is_null()) {
    for (const auto& [path, values] : entries_of(grid, "grid")) {
      const std::string normalised = normalise_sweep_path(path);
      count_path(normalised);
      check_values(normalised, values);
      dimensions.push_back({{normalised}, {values}, values.size()});
    }
  }
  if (!zip.is_null()) {
    if (!zip.is_array()) {
      throw ConfigError(
          "zip", "expected a list of groups [{\"path\": [values...], ...}], got " + describe_json_value(zip));
    }
    for (size_t g = 0; g < zip.size(); ++g) {
      const std::string group_name = "zip[" + std::to_string(g) + "]";
      Dimension d;
      for (const auto& [path, values] : entries_of(zip[g], group_name)) {
        const std::string normalised = normalise_sweep_path(path);
        count_path(normalised);
        check_values(normalised, values);
        if (!d.paths.empty() && values.size() != d.size) {
          throw ConfigError(normalised,
                            "has " + std::to_string(values.size()) + " value(s) but " + d.paths.front() +
                                " in the same zip group has " + std::to_string(d.size) +
                                "; the lists of a zip group vary together and need equal lengths");
        }
        d.paths.push_back(normalised);
        d.lists.push_back(values);
        d.size = values.size();
      }
      if (d.paths.empty()) {
        throw ConfigError(group_name, "empty zip group; give at least one {\"path\": [values...]}");
      }
      dimensions.push_back(std::move(d));
    }
  }
  check_distinct(dimensions);
  return dimensions;
}

// The repetitions of every point over `seeds` run seeds (see expand_sweep): a last dimension over
// "seed", from the base's seed up.
void add_seed_dimension(std::vector<Dimension>& dimensions, const nlohmann::json& base, int64_t seeds) {
  check_sweep_seeds(seeds);
  if (seeds == 1) {
    return;
  }
  for (const auto& d : dimensions) {
    for (const auto& path : d.paths) {
      if (path == "seed") {
        throw ConfigError("seeds",
                          std::to_string(seeds) +
                              " seeds, but the grid already varies \"seed\"; give either \"seeds\": N "
                              "or a seed dimension, not both");
      }
    }
  }
  uint64_t first = RunConfig().seed;
  const json* given = base.is_object() ? find_sweep_path(base, "seed") : nullptr;
  if (given != nullptr && given->is_number_unsigned()) {
    first = given->get<uint64_t>();
  } else if (given != nullptr && given->is_number_integer() && given->get<int64_t>() >= 0) {
    first = static_cast<uint64_t>(given->get<int64_t>());
  }
  const uint64_t repetitions = static_cast<uint64_t>(seeds);
  if (first > std::numeric_limits<uint64_t>::max() - (repetitions - 1)) {
    throw ConfigError("seeds", std::to_string(seeds) + " seeds from the base's seed " +
                                   std::to_string(first) +
                                   " pass 2^64 - 1; give the base a smaller \"seed\"");
  }
  json values = json::array();
  for (uint64_t i = 0; i < repetitions; ++i) {
    values.push_back(first + i);
  }
  dimensions.push_back({{"seed"}, {values}, repetitions});
}

SweepSize measure_dimensions(const nlohmann::json& base, const std::vector<Dimension>& dimensions) {
  SweepSize size{1, base.dump().size()};
  for (const auto& d : dimensions) {
    size.points *= d.size;
    // A point holds one value of every list: the longest is what a point may cost.
    for (const auto& list : d.lists) {
      size_t longest = 0;
      for (const auto& value : list) {
        longest = std::max(longest, value.dump().size());
      }
      size.bytes_per_point += longest;
    }
  }
  return size;
}

}  // namespace

void check_sweep_seeds(int64_t seeds, const std::string& where) {
  if (seeds < 1 || seeds > kMaxSweepSeeds) {
    throw ConfigError(where,
                      "expected the number of seeds to repeat every point over, an integer from 1 to " +
                          std::to_string(kMaxSweepSeeds) + ", got " + std::to_string(seeds));
  }
}

int64_t parse_sweep_seeds(const nlohmann::json& value, const std::string& where) {
  if (!value.is_number_integer()) {
    throw ConfigError(where,
                      "expected the number of seeds to repeat every point over, an integer from 1 to " +
                          std::to_string(kMaxSweepSeeds) + ", got " + describe_json_value(value));
  }
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(kMaxSweepSeeds)) {
    throw ConfigError(where,
                      "expected the number of seeds to repeat every point over, an integer from 1 to " +
                          std::to_string(kMaxSweepSeeds) + ", got " + value.dump());
  }
  const int64_t seeds = value.get<int64_t>();
  check_sweep_seeds(seeds, where);
  return seeds;
}

SweepSize measure_sweep(const nlohmann::json& base, const nlohmann::json& grid, const nlohmann::json& zip,
                        int64_t seeds) {
  std::vector<Dimension> dimensions = sweep_dimensions(grid, zip);
  add_seed_dimension(dimensions, base, seeds);
  return measure_dimensions(base, dimensions);
}

void check_sweep_size(const SweepSize& size, const std::string& what) {
  if (!size.points.within(kMaxSweepPoints)) {
    throw ConfigError(
        what, (size.points.ok() ? std::to_string(*size.points.value()) : std::string("more than 2^64")) +
                  " points; a sweep may have at most " + std::to_string(kMaxSweepPoints) +
                  " (split it into several sweeps)");
  }
  // Every point holds a copy of its configuration; nlohmann's values take several times their text.
  constexpr uint64_t kBytesPerTextByte = 8;
  if (const auto shortfall = memory_shortfall(size.points * size.bytes_per_point * kBytesPerTextByte)) {
    throw ConfigError(what, std::to_string(*size.points.value()) + " points of up to " +
                                format_bytes(size.bytes_per_point.value().value_or(0)) +
                                " of configuration each " + *shortfall);
  }
}

std::vector<SweepPoint> expand_sweep(const nlohmann::json& base, const nlohmann::json& grid,
                                     const nlohmann::json& zip, int64_t seeds) {
  if (!base.is_object()) {
    throw ConfigError("base", "expected a run configuration object, got " + describe_json_value(base));
  }
  std::vector<Dimension> dimensions = sweep_dimensions(grid, zip);
  add_seed_dimension(dimensions, base, seeds);
  check_sweep_size(measure_dimensions(base, dimensions), "grid");

  std::vector<std::string> all_paths;
  for (const auto& d : dimensions)
    all_paths.insert(all_paths.end(), d.paths.begin(), d.paths.end());
  // A zip group is named by its first path alone: its other values follow from that one, and a run
  // name listing every field of a group (Figure 2 zips nine) would be unreadable.
  std::vector<std::string> naming_paths;
  for (const auto& d : dimensions)
    naming_paths.push_back(d.paths.front());
  const std::vector<std::string> keys = short_keys(naming_paths);

  // Every path must resolve in the base before anything is expanded, so an error is reported once.
  {
    json probe = base;
    for (const auto& path : all_paths)
      resolve_for_write(probe, path);
  }

  const std::string base_name =
      base.contains("name") && base["name"].is_string() ? base["name"].get<std::string>() : "default";
  std::vector<SweepPoint> points;
  std::vector<size_t> counter(dimensions.size(), 0);
  while (true) {
    SweepPoint point;
    point.config = base;
    point.name = base_name;
    for (size_t d = 0; d < dimensions.size(); ++d) {
      for (size_t p = 0; p < dimensions[d].paths.size(); ++p) {
        const json& value = dimensions[d].lists[p][counter[d]];
        resolve_for_write(point.config, dimensions[d].paths[p]) = value;
        point.assignments.emplace_back(dimensions[d].paths[p], value);
      }
      point.name += "-" + keys[d] + "=" + value_text(dimensions[d].lists.front()[counter[d]]);
    }
    point.config["name"] = point.name;
    points.push_back(std::move(point));

    // Odometer: the last dimension advances fastest.
    size_t d = dimensions.size();
    while (d > 0) {
      --d;
      if (++counter[d] < dimensions[d].size)
        break;
      counter[d] = 0;
      if (d == 0)
        return points;
    }
    if (dimensions.empty())
      return points;
  }
}

}  // namespace zoolab
