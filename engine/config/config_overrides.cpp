#include "engine/config/config_overrides.h"

#include <cstdint>
#include <string>

#include "engine/config/sweep_grid.h"
#include "engine/text/utf8.h"
#include "engine/util/strict_json.h"

namespace zoolab {

namespace {

// Longer summaries are shortened further ("{7 keys}"): a run name is read in tables and legends.
constexpr size_t kMaxSummary = 24;

// FNV-1a of the value's compact JSON (nlohmann sorts object keys, so equal values hash alike); six hex
// digits are enough to tell apart the handful of values one sweep dimension holds.
std::string short_hash(const nlohmann::json& value) {
  uint64_t hash = 1469598103934665603ULL;
  for (const unsigned char c : value.dump()) {
    hash = (hash ^ c) * 1099511628211ULL;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int shift = 20; shift >= 0; shift -= 4) {
    out += kHex[(hash >> shift) & 0xf];
  }
  return out;
}

bool is_named_object(const nlohmann::json& value) {
  return value.is_object() && value.contains("name") && value["name"].is_string() &&
         !value["name"].get<std::string>().empty();
}

// An object that says nothing but which one it is: {"name": "attention"}, or with empty kwargs.
bool is_bare_name(const nlohmann::json& value) {
  for (auto it = value.begin(); it != value.end(); ++it) {
    const bool empty = it.value().is_null() || (it.value().is_object() && it.value().empty()) ||
                       (it.value().is_array() && it.value().empty());
    if (it.key() != "name" && !empty) {
      return false;
    }
  }
  return true;
}

std::string summary(const nlohmann::json& value) {
  if (is_named_object(value)) {
    return value["name"].get<std::string>();
  }
  if (value.is_object()) {
    std::string keys;
    for (auto it = value.begin(); it != value.end(); ++it) {
      keys += (keys.empty() ? "" : ",") + it.key();
    }
    return keys.size() + 2 <= kMaxSummary ? "{" + keys + "}" : "{" + std::to_string(value.size()) + " keys}";
  }
  std::string names;
  bool all_named = !value.empty();
  for (const auto& element : value) {
    all_named = all_named && is_named_object(element);
    if (all_named) {
      names += (names.empty() ? "" : "+") + element["name"].get<std::string>();
    }
  }
  return all_named && names.size() <= kMaxSummary ? names : "list" + std::to_string(value.size());
}

}  // namespace

std::string value_name_text(const nlohmann::json& value) {
  if (value.is_string()) {
    return value.get<std::string>();
  }
  if (!value.is_structured()) {
    return value.dump();
  }
  if (value.is_array()) {
    bool scalars = true;
    for (const auto& element : value) {
      scalars = scalars && !element.is_structured();
    }
    const std::string text = value.dump();
    if (scalars && text.size() <= kMaxSummary) {
      return text;
    }
  }
  if (is_named_object(value) && is_bare_name(value)) {
    return value["name"].get<std::string>();
  }
  return summary(value) + "~" + short_hash(value);
}

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
