#pragma once

// A sweep file: a name, and a base configuration with a grid and zip groups over
// its dotted paths; or several parts, each with its own base (and zip), sharing the top-level grid. The
// paper's Figure 2 is 7 parts (one per model, since each model's kwargs follow the sequence length
// differently: H3's d_state = L, attention's max_position_embeddings = L) under one grid of widths and
// learning rates.
//
//   {"name": "widths", "base": CONFIG, "grid": {"model.d_model": [64, 128]}, "zip": [...]}
//   {"name": "zoology-figure2", "grid": [["model.d_model", [64, 128, 256, 512]], ...],
//    "parts": [{"base": CONFIG, "zip": [...]}, ...]}
//
// "seeds": N (top level, or per part to override it) repeats every point over N run seeds, see
// expand_sweep: {"name": "widths", "base": CONFIG, "grid": {...}, "seeds": 3} is 3 runs per point.
// A part's own "grid" dimensions come after the shared ones. Run names must be unique over the whole
// sweep: they are how `zoolab-cli sweep` recognises the points already enqueued.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/sweep_grid.h"

namespace zoolab {

struct SweepSpec {
  std::string name;
  std::string description;
  nlohmann::json source;           // the sweep file as read (stored with the sweep, compared on re-enqueue)
  std::vector<SweepPoint> points;  // parts in order, each expanded as expand_sweep does
};

// Parses and expands a sweep file. Strict: unknown keys, a missing name, both "base" and "parts" (or
// neither), and duplicate run names throw ConfigError naming the JSON path. The point configurations
// are not validated here (the caller runs them through parse_run_config and the mixer registry).
SweepSpec parse_sweep(const nlohmann::json& json);

// Reads a sweep file; a syntax error names the file, line and column.
SweepSpec load_sweep_file(const std::string& path);

// The sweep `spec` came from, repeating every point over `seeds` run seeds instead of the file's own
// "seeds" (`zoolab-cli sweep --seeds N`): the source's top-level "seeds" is set and the parts' removed,
// so the stored sweep file says what was enqueued. Throws ConfigError("--seeds", ...) out of 1..1000.
SweepSpec with_seeds(const SweepSpec& spec, int64_t seeds);

// Built-in sweeps: resources/presets/sweeps/NAME.json, embedded at build time.
struct SweepPresetInfo {
  std::string name;
  std::string description;
  size_t num_runs = 0;
};
std::vector<SweepPresetInfo> list_sweep_presets();
// Throws ConfigError listing the available names when there is none.
SweepSpec load_sweep_preset(const std::string& name);

// Which points a shard takes: index % count == shard (0-based), so `--shard 0/4` ... `--shard 3/4`
// partition the sweep. Throws ConfigError unless 0 <= shard < count.
std::vector<SweepPoint> select_shard(const std::vector<SweepPoint>& points, int shard, int count);

// "i/n" -> (i, n); throws ConfigError naming the text and the expected form.
std::pair<int, int> parse_shard(const std::string& text);

}  // namespace zoolab
