#include "models/registry.h"

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
  throw ParamError(path, message);
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
  nlohmann::json resolved = resolve_params(spec.params, kwargs, path, "mixer \"" + spec.name + "\"");
  for (const auto& param : spec.params) {
    if (param.type == ParamType::MixerList && resolved.contains(param.name)) {
      resolved[param.name] =
          resolve_mixer_list(resolved.at(param.name), join_json_path(path, param.name), context);
    } else if (!resolved.contains(param.name)) {  // a null default: l_max is the longest sequence
      resolved[param.name] = param.name == "l_max" ? nlohmann::json(context.l_max) : nlohmann::json();
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
    out.push_back({{"name", spec.name},
                   {"kind", spec.kind == MixerKind::Sequence ? "sequence" : "state"},
                   {"summary", spec.summary},
                   {"params", param_specs_to_json(spec.params)}});
  }
  return out;
}

}  // namespace zoolab
