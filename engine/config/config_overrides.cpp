#include "engine/config/config_overrides.h"

#include "engine/config/sweep_grid.h"
#include "engine/text/utf8.h"

namespace zoolab {

RunConfig with_overrides(const RunConfig& config, const std::vector<std::string>& assignments) {
  if (assignments.empty()) {
    return config;
  }
  // An array of [path, [value]] pairs keeps the order of the command line in the run's name.
  nlohmann::json grid = nlohmann::json::array();
  for (const auto& assignment : assignments) {
    const auto equals = assignment.find('=');
    // A value that is not JSON is kept as a plain string, and JSON strings must be UTF-8: checked here, or
    // the first message that quotes the value would fail to print it.
    if (first_invalid_utf8(assignment)) {
      throw ConfigError("--set", "\"" + escape_for_terminal(assignment) + "\" is not valid UTF-8");
    }
    if (equals == std::string::npos || equals == 0) {
      throw ConfigError("--set", "expected PATH=VALUE such as model.d_model=128, got \"" + assignment + "\"");
    }
    const std::string text = assignment.substr(equals + 1);
    auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (value.is_discarded()) {
      value = text;
    }
    grid.push_back({assignment.substr(0, equals), nlohmann::json::array({value})});
  }
  const auto points = expand_sweep(to_json(config), grid);
  return parse_run_config(points.front().config);
}

}  // namespace zoolab
