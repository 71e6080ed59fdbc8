#include "common/param_spec.h"

#include <limits>

#include "common/json_rules.h"

namespace zoolab {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw ParamError(path, message);
}

bool is_integer(const nlohmann::json& value) {
  return value.is_number_integer() || value.is_number_unsigned();
}

void check_range(const ParamSpec& spec, double value, const std::string& path, const std::string& shown) {
  const DoubleRange range{spec.min.value_or(-std::numeric_limits<double>::infinity()), true,
                          spec.max.value_or(std::numeric_limits<double>::infinity()), true};
  if (!range.contains(value)) {
    fail(path, "value " + shown + " is out of range; allowed [" + format_json_number(range.min) + ", " +
                   format_json_number(range.max) + "]");
  }
}

}  // namespace

void check_param_value(const ParamSpec& spec, const nlohmann::json& value, const std::string& path) {
  const std::string shown = value.dump();
  switch (spec.type) {
    case ParamType::Int:
      if (!is_integer(value)) {
        fail(path, "expected an integer, got " + shown);
      }
      check_range(spec, value.get<double>(), path, shown);
      return;
    case ParamType::Float:
      if (!value.is_number()) {
        fail(path, "expected a number, got " + shown);
      }
      check_range(spec, value.get<double>(), path, shown);
      return;
    case ParamType::Bool:
      if (!value.is_boolean()) {
        fail(path, "expected true or false, got " + shown);
      }
      return;
    case ParamType::String:
      if (!value.is_string()) {
        fail(path, "expected a string, got " + shown);
      }
      if (!spec.choices.empty()) {
        if (!StringRule::one_of(spec.choices).accepts(value.get<std::string>())) {
          fail(path, "value " + shown + " is not allowed; allowed: " + join_strings(spec.choices));
        }
      }
      return;
    case ParamType::IntOrIntList:
      if (is_integer(value)) {
        check_range(spec, value.get<double>(), path, shown);
        return;
      }
      if (!value.is_array() || value.empty()) {
        fail(path, "expected an integer or a non-empty list of integers, got " + shown);
      }
      for (size_t i = 0; i < value.size(); ++i) {
        if (!is_integer(value[i])) {
          fail(json_index_path(path, i), "expected an integer, got " + value[i].dump());
        }
        check_range(spec, value[i].get<double>(), json_index_path(path, i), value[i].dump());
      }
      return;
    case ParamType::MixerList:
      if (!value.is_array() || value.empty()) {
        fail(path, "expected a non-empty list of mixer configs {\"name\", \"kwargs\"}, got " + shown);
      }
      // Each entry is a Zoology ModuleConfig: a name and optional kwargs (their values are checked
      // against the named mixer's spec by resolve_mixer_list).
      for (size_t i = 0; i < value.size(); ++i) {
        const auto& entry = value[i];
        const std::string entry_path = json_index_path(path, i);
        if (!entry.is_object()) {
          fail(entry_path, "expected a mixer config {\"name\", \"kwargs\"}, got " + entry.dump());
        }
        for (const auto& item : entry.items()) {
          if (item.key() != "name" && item.key() != "kwargs") {
            fail(join_json_path(entry_path, item.key()),
                 "unknown key of a mixer config; allowed: name, kwargs");
          }
        }
        if (!entry.contains("name") || !entry.at("name").is_string()) {
          fail(join_json_path(entry_path, "name"),
               "expected a mixer name (a string), got " +
                   (entry.contains("name") ? entry.at("name").dump() : std::string("nothing")));
        }
        if (entry.contains("kwargs") && !entry.at("kwargs").is_object()) {
          fail(join_json_path(entry_path, "kwargs"),
               "kwargs must be an object, got " + entry.at("kwargs").dump());
        }
      }
      return;
  }
}

const char* to_string(ParamType type) {
  switch (type) {
    case ParamType::Int:
      return "int";
    case ParamType::Float:
      return "float";
    case ParamType::Bool:
      return "bool";
    case ParamType::String:
      return "string";
    case ParamType::IntOrIntList:
      return "int_or_int_list";
    case ParamType::MixerList:
      return "mixer_list";
  }
  return "unknown";
}

nlohmann::json resolve_params(const std::vector<ParamSpec>& specs, const nlohmann::json& given,
                              const std::string& path, const std::string& owner) {
  if (!given.is_object()) {
    fail(path, "expected an object of parameters, got " + describe_json_value(given));
  }
  std::vector<std::string> allowed;
  for (const auto& spec : specs) {
    allowed.push_back(spec.name);
  }
  const std::vector<std::string> unknown = unknown_keys(given, allowed);
  if (!unknown.empty()) {
    fail(join_json_path(path, unknown.front()),
         "unknown parameter of " + owner +
             "; allowed: " + (allowed.empty() ? std::string("(none)") : join_strings(allowed)));
  }
  nlohmann::json resolved = nlohmann::json::object();
  for (const auto& spec : specs) {
    if (given.contains(spec.name) && !given.at(spec.name).is_null()) {
      check_param_value(spec, given.at(spec.name), join_json_path(path, spec.name));
      resolved[spec.name] = given.at(spec.name);
    } else if (!spec.default_value.is_null()) {
      resolved[spec.name] = spec.default_value;
    }
  }
  return resolved;
}

nlohmann::json param_specs_to_json(const std::vector<ParamSpec>& specs) {
  auto params = nlohmann::json::array();
  for (const auto& param : specs) {
    nlohmann::json p = {{"name", param.name},
                        {"type", to_string(param.type)},
                        {"default", param.default_value},
                        {"doc", param.doc}};
    if (param.min) {
      p["min"] = *param.min;
    }
    if (param.max) {
      p["max"] = *param.max;
    }
    if (!param.choices.empty()) {
      p["choices"] = param.choices;
    }
    params.push_back(std::move(p));
  }
  return params;
}

}  // namespace zoolab
