#include "engine/config/config_overrides.h"

#include "engine/config/sweep_grid.h"
#include "engine/text/utf8.h"
#include "engine/util/strict_json.h"

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
      throw ConfigError("--set", "expected PATH=VALUE such as model.d_model=128, got \"" +
                                     escape_for_terminal(assignment) + "\"");
    }
    const std::string path = assignment.substr(0, equals);
    // The path is quoted in every message about it; a path of configuration fields is printable text.
    if (escape_for_terminal(path) != path) {
      throw ConfigError("--set",
                        "the path \"" + escape_for_terminal(path) +
                            "\" has characters that are not printed as they are (control "
                            "characters, backslashes, invalid UTF-8); expected a dotted path such as "
                            "model.d_model");
    }
    const std::string text = assignment.substr(equals + 1);
    // Text that is not JSON at all is a plain string; JSON that breaks the strict rules (nested past
    // the depth limit, a key given twice) is refused, not silently taken as a string.
    nlohmann::json value = text;
    if (nlohmann::json::accept(text)) {
      try {
        value = parse_strict_json(text);
      } catch (const JsonSyntaxError& error) {
        // The message names the key or the depth within the value.
        throw ConfigError(path, std::string("the value given with --set: ") + error.what());
      }
    }
    grid.push_back({path, nlohmann::json::array({value})});
  }
  const auto points = expand_sweep(to_json(config), grid);
  return parse_run_config(points.front().config);
}

}  // namespace zoolab
