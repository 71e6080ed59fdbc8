#include "engine/config/presets.h"

#include <algorithm>

#include "engine/util/strict_json.h"

namespace zoolab {

namespace {

// A built-in preset that does not parse is a bug in resources/presets/, not a user error; the
// message says which file to fix.
RunConfig parse_preset(const EmbeddedPreset& preset) {
  const std::string where =
      "built-in preset \"" + std::string(preset.name) + "\" (resources/presets/" + preset.name + ".json)";
  nlohmann::json json;
  try {
    json = parse_strict_json(preset.json_text);
  } catch (const JsonSyntaxError& e) {
    throw ConfigError("", where + " is not valid JSON: " + e.what());
  }
  try {
    return parse_run_config(json);
  } catch (const ConfigError& e) {
    // e.what() already starts with the JSON path.
    throw ConfigError("", where + " is invalid: " + e.what());
  }
}

}  // namespace

std::vector<PresetInfo> list_presets() {
  std::vector<PresetInfo> presets;
  for (const auto& preset : embedded_presets()) {
    RunConfig config = parse_preset(preset);
    presets.push_back({preset.name, config.description, std::move(config)});
  }
  std::sort(presets.begin(), presets.end(),
            [](const PresetInfo& a, const PresetInfo& b) { return a.name < b.name; });
  return presets;
}

RunConfig load_preset(const std::string& name) {
  std::vector<std::string> names;
  for (const auto& preset : embedded_presets()) {
    if (name == preset.name)
      return parse_preset(preset);
    names.push_back(preset.name);
  }
  std::sort(names.begin(), names.end());
  std::string available;
  for (const auto& n : names)
    available += (available.empty() ? "" : ", ") + n;
  throw ConfigError("", "unknown preset \"" + name +
                            "\"; available: " + (available.empty() ? std::string("(none)") : available));
}

}  // namespace zoolab
