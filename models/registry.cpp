#include "models/registry.h"

#include <limits>
#include <stdexcept>

#include "common/json_rules.h"

#include "models/mixers/attention.h"
#include "models/mixers/base_conv.h"
#include "models/mixers/based.h"
#include "models/mixers/delta_net.h"
#include "models/mixers/gated_delta_net.h"
#include "models/mixers/gla.h"
#include "models/mixers/glu.h"
#include "models/mixers/h3.h"
#include "models/mixers/hybrid.h"
#include "models/mixers/hyena.h"
#include "models/mixers/identity.h"
#include "models/mixers/mamba.h"
#include "models/mixers/mamba2.h"
#include "models/mixers/mlp.h"
#include "models/mixers/nsa.h"
#include "models/mixers/rwkv.h"
#include "models/mixers/rwkv7.h"
#include "models/mixers/selective.h"
#include "models/mixers/sliding_window.h"
#include "models/mixers/ttt.h"

namespace zoolab {
namespace {

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw std::invalid_argument(path + ": " + message);
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

void check_value(const ParamSpec& spec, const nlohmann::json& value, const std::string& path) {
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

// Resolves every entry of a (shape-checked) mixer list against its sequence mixer's spec, so a bad
// sub-mixer kwarg is reported as e.g. "<path>[1].kwargs.block_size" before anything is built.
nlohmann::json resolve_mixer_list(const nlohmann::json& list, const std::string& path,
                                  const MixerContext& context) {
  auto resolved = nlohmann::json::array();
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string entry_path = json_index_path(path, i);
    const auto name = list[i].at("name").get<std::string>();
    const MixerSpec* spec = nullptr;
    try {
      spec = &find_mixer(MixerKind::Sequence, name);
    } catch (const std::invalid_argument& error) {
      fail(join_json_path(entry_path, "name"), error.what());
    }
    resolved.push_back(
        {{"name", name},
         {"kwargs", resolve_mixer_kwargs(*spec, list[i].value("kwargs", nlohmann::json::object()),
                                         join_json_path(entry_path, "kwargs"), context)}});
  }
  return resolved;
}

}  // namespace

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

const std::vector<MixerSpec>& mixer_registry() {
  // One line per mixer.
  static const std::vector<MixerSpec> registry = {
      attention_spec(),
      base_conv_spec(),
      based_spec(),
      identity_spec(),
      mlp_spec(),
      sliding_window_spec(),
      hybrid_spec(),
      glu_spec(),
      hyena_spec(),
      selective_spec(),
      h3_spec(),
      mamba_spec(),
      rwkv_spec(),
      mamba2_spec(),
      gla_spec(),
      delta_net_spec(),
      gated_delta_net_spec(),
      nsa_spec(),
      rwkv7_spec(),
      ttt_spec(),
  };
  return registry;
}

const MixerSpec& find_mixer(MixerKind kind, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& spec : mixer_registry()) {
    if (spec.kind != kind) {
      continue;
    }
    if (spec.name == name) {
      return spec;
    }
    names.push_back(spec.name);
  }
  const char* what = kind == MixerKind::Sequence ? "sequence mixer" : "state mixer";
  throw std::invalid_argument("unknown " + std::string(what) + " \"" + name +
                              "\"; registered: " + join_strings(names));
}

nlohmann::json resolve_mixer_kwargs(const MixerSpec& spec, const nlohmann::json& kwargs,
                                    const std::string& path, const MixerContext& context) {
  if (!kwargs.is_object()) {
    fail(path, "kwargs must be an object, got " + kwargs.dump());
  }
  std::vector<std::string> allowed;
  for (const auto& param : spec.params) {
    allowed.push_back(param.name);
  }
  const std::vector<std::string> unknown = unknown_keys(kwargs, allowed);
  if (!unknown.empty()) {
    fail(join_json_path(path, unknown.front()),
         "unknown parameter of mixer \"" + spec.name +
             "\"; allowed: " + (allowed.empty() ? std::string("(none)") : join_strings(allowed)));
  }
  nlohmann::json resolved = nlohmann::json::object();
  for (const auto& param : spec.params) {
    const std::string param_path = join_json_path(path, param.name);
    if (kwargs.contains(param.name) && !kwargs.at(param.name).is_null()) {
      check_value(param, kwargs.at(param.name), param_path);
      resolved[param.name] = param.type == ParamType::MixerList
                                 ? resolve_mixer_list(kwargs.at(param.name), param_path, context)
                                 : kwargs.at(param.name);
    } else if (param.name == "l_max" && param.default_value.is_null()) {
      resolved[param.name] = context.l_max;
    } else {
      resolved[param.name] = param.default_value;
    }
  }
  return resolved;
}

MixerPtr build_mixer(MixerKind kind, const std::string& name, const nlohmann::json& kwargs,
                     const MixerContext& context, const std::string& path) {
  const auto& spec = find_mixer(kind, name);
  return spec.factory(context, resolve_mixer_kwargs(spec, kwargs, path, context));
}

nlohmann::json registry_to_json() {
  auto out = nlohmann::json::array();
  for (const auto& spec : mixer_registry()) {
    auto params = nlohmann::json::array();
    for (const auto& param : spec.params) {
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
    out.push_back({{"name", spec.name},
                   {"kind", spec.kind == MixerKind::Sequence ? "sequence" : "state"},
                   {"summary", spec.summary},
                   {"params", std::move(params)}});
  }
  return out;
}

}  // namespace zoolab
