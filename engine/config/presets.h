#pragma once

// Built-in presets: resources/presets/NAME.json, embedded at build time (cmake/EmbedPresets.cmake).
// Sweep presets are read through engine/config/sweep_file.h.

#include <string>
#include <vector>

#include "engine/config/run_config.h"

namespace zoolab {

struct EmbeddedPreset {
  const char* name;
  const char* json_text;
};

// Defined in the generated zoolab_presets_data.cpp: run presets and sweep presets
// (resources/presets/sweeps/).
const std::vector<EmbeddedPreset>& embedded_presets();
const std::vector<EmbeddedPreset>& embedded_sweep_presets();

struct PresetInfo {
  std::string name;
  std::string description;
  RunConfig config;
};

// Every preset, parsed; sorted by name.
std::vector<PresetInfo> list_presets();

// The named preset; throws ConfigError listing the available names when there is none.
RunConfig load_preset(const std::string& name);

}  // namespace zoolab
