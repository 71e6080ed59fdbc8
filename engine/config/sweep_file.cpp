#include "engine/config/sweep_file.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <set>

#include "engine/config/json_reader.h"
#include "engine/config/presets.h"
#include "engine/util/strict_json.h"

namespace zoolab {

namespace {

using nlohmann::json;

// The shared grid's dimensions followed by a part's own: both forms of a grid (object or list of
// pairs) become the list-of-pairs form, which keeps the order.
json concat_grids(const json& shared, const json& own, const std::string& path) {
  json out = json::array();
  for (const json* grid : {&shared, &own}) {
    if (grid->is_null())
      continue;
    if (grid->is_object()) {
      for (auto it = grid->begin(); it != grid->end(); ++it)
        out.push_back(json::array({it.key(), it.value()}));
    } else if (grid->is_array()) {
      for (const auto& pair : *grid)
        out.push_back(pair);
    } else {
      throw ConfigError(path,
                        "expected an object {\"dotted.path\": [values...]} or a list of [path, values] "
                        "pairs, got " +
                            describe_json_value(*grid));
    }
  }
  return out;
}

// expand_sweep's errors name the path inside the grid; this says which part of which file it was in.
std::vector<SweepPoint> expand_part(const json& base, const json& grid, const json& zip, int64_t seeds,
                                    const std::string& where) {
  try {
    return expand_sweep(base, grid, zip, seeds);
  } catch (const ConfigError& error) {
    throw ConfigError(where, error.what());
  }
}

}  // namespace

SweepSpec parse_sweep(const json& source) {
  SweepSpec spec;
  spec.source = source;
  ObjectReader reader(source, "");
  spec.name = reader.require_string("name", StringRule::non_empty());
  spec.description = reader.get_string("description", "");
  const json* base = reader.get_object("base");
  const json* parts = reader.get_array("parts");
  const json* grid = reader.get_raw("grid");
  const json* zip = reader.get_raw("zip");
  const json* seeds_value = reader.get_raw("seeds");
  reader.finish();
  const json shared_grid = grid ? *grid : json();
  // Repetitions of every point over run seeds (expand_sweep); a part may give its own.
  const int64_t seeds = seeds_value ? parse_sweep_seeds(*seeds_value, "seeds") : 1;

  if ((base == nullptr) == (parts == nullptr)) {
    throw ConfigError("base",
                      "give exactly one of \"base\" (one configuration) or \"parts\" (a list of "
                      "{\"base\", \"grid\", \"zip\"} sharing the top-level grid)");
  }
  if (base != nullptr) {
    spec.points =
        expand_part(*base, concat_grids(shared_grid, json(), "grid"), zip ? *zip : json(), seeds, "");
  } else {
    if (zip != nullptr) {
      throw ConfigError("zip", "with \"parts\", give each part its own \"zip\" (zip groups are per part)");
    }
    if (parts->empty()) {
      throw ConfigError("parts", "the list of parts is empty; give at least one {\"base\": CONFIG}");
    }
    // Every part is measured before any is expanded (or its grid joined to the shared one): the limits
    // are on the whole sweep, and a shared grid copied into many parts must be counted first.
    const SweepSize shared = measure_sweep(json::object(), shared_grid);
    SweepSize whole{0, 0};
    std::vector<int64_t> part_seeds;
    for (size_t i = 0; i < parts->size(); ++i) {
      const std::string where = "parts[" + std::to_string(i) + "]";
      ObjectReader part(parts->at(i), where);
      const json* part_base = part.get_object("base");
      const json* part_grid = part.get_raw("grid");
      const json* part_zip = part.get_raw("zip");
      const json* own_seeds = part.get_raw("seeds");
      part.finish();
      if (part_base == nullptr) {
        throw ConfigError(where + ".base", "missing; each part needs a base run configuration");
      }
      part_seeds.push_back(own_seeds ? parse_sweep_seeds(*own_seeds, where + ".seeds") : seeds);
      SweepSize own;
      try {
        own = measure_sweep(*part_base, part_grid ? *part_grid : json(), part_zip ? *part_zip : json(),
                            part_seeds.back());
      } catch (const ConfigError& error) {
        throw ConfigError(where, error.what());
      }
      whole.points += own.points * shared.points;
      const CheckedSize bytes = own.bytes_per_point + shared.bytes_per_point;
      if (!bytes.ok() || !whole.bytes_per_point.ok() || *bytes.value() > *whole.bytes_per_point.value()) {
        whole.bytes_per_point = bytes;
      }
    }
    check_sweep_size(whole, "parts");
    for (size_t i = 0; i < parts->size(); ++i) {
      const std::string where = "parts[" + std::to_string(i) + "]";
      const json& part = parts->at(i);
      const json* part_grid = part.contains("grid") ? &part["grid"] : nullptr;
      const json* part_zip = part.contains("zip") ? &part["zip"] : nullptr;
      auto points = expand_part(part["base"],
                                concat_grids(shared_grid, part_grid ? *part_grid : json(), where + ".grid"),
                                part_zip ? *part_zip : json(), part_seeds[i], where);
      std::move(points.begin(), points.end(), std::back_inserter(spec.points));
    }
  }

  std::set<std::string> names;
  for (const auto& point : spec.points) {
    if (!names.insert(point.name).second) {
      throw ConfigError("name", "two points of sweep \"" + spec.name + "\" are both named \"" + point.name +
                                    "\"; give the parts' bases different \"name\"s (run names identify the "
                                    "points already enqueued)");
    }
  }
  return spec;
}

SweepSpec load_sweep_file(const std::string& path) {
  const json source = read_json_file(path, "sweep file");
  try {
    return parse_sweep(source);
  } catch (const ConfigError& error) {
    throw ConfigError("", path + ": " + error.what());
  }
}

SweepSpec with_seeds(const SweepSpec& spec, int64_t seeds) {
  check_sweep_seeds(seeds, "--seeds");
  json source = spec.source;
  source["seeds"] = seeds;
  if (source.contains("parts") && source["parts"].is_array()) {
    for (auto& part : source["parts"]) {
      if (part.is_object()) {
        part.erase("seeds");
      }
    }
  }
  return parse_sweep(source);
}

namespace {

SweepSpec parse_sweep_preset(const EmbeddedPreset& preset) {
  const std::string where = "built-in sweep \"" + std::string(preset.name) + "\" (resources/presets/sweeps/" +
                            preset.name + ".json)";
  try {
    return parse_sweep(parse_strict_json(preset.json_text));
  } catch (const JsonSyntaxError& error) {
    throw ConfigError("", where + " is not valid JSON: " + error.what());
  } catch (const ConfigError& error) {
    throw ConfigError("", where + " is invalid: " + error.what());
  }
}

}  // namespace

std::vector<SweepPresetInfo> list_sweep_presets() {
  std::vector<SweepPresetInfo> out;
  for (const auto& preset : embedded_sweep_presets()) {
    const SweepSpec spec = parse_sweep_preset(preset);
    out.push_back({preset.name, spec.description, spec.points.size()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

SweepSpec load_sweep_preset(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& preset : embedded_sweep_presets()) {
    if (name == preset.name)
      return parse_sweep_preset(preset);
    names.push_back(preset.name);
  }
  std::sort(names.begin(), names.end());
  std::string available;
  for (const auto& n : names)
    available += (available.empty() ? "" : ", ") + n;
  throw ConfigError("", "unknown sweep preset \"" + name +
                            "\"; available: " + (available.empty() ? std::string("(none)") : available));
}

std::vector<SweepPoint> select_shard(const std::vector<SweepPoint>& points, int shard, int count) {
  if (count < 1 || shard < 0 || shard >= count) {
    throw ConfigError("--shard", "expected i/n with 0 <= i < n (shards are numbered from 0), got " +
                                     std::to_string(shard) + "/" + std::to_string(count));
  }
  std::vector<SweepPoint> out;
  for (size_t i = static_cast<size_t>(shard); i < points.size(); i += static_cast<size_t>(count))
    out.push_back(points[i]);
  return out;
}

std::pair<int, int> parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  const auto is_number = [](const std::string& s) {
    return !s.empty() && s.size() < 9 &&
           std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  if (slash == std::string::npos || !is_number(text.substr(0, slash)) || !is_number(text.substr(slash + 1))) {
    throw ConfigError("--shard", "expected i/n (e.g. 0/4 for the first of 4 shards), got \"" + text + "\"");
  }
  const int shard = std::stoi(text.substr(0, slash));
  const int count = std::stoi(text.substr(slash + 1));
  if (count < 1 || shard >= count) {
    throw ConfigError("--shard",
                      "expected i/n with 0 <= i < n (shards are numbered from 0), got \"" + text + "\"");
  }
  return {shard, count};
}

}  // namespace zoolab
