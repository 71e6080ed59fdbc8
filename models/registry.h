#pragma once

// The mixer registry (shared/DESIGN.md §5): for every mixer its name, a one-line summary, the
// specs of its parameters (from which the GUI builds forms and `zoolab-cli mixers` prints) and a
// factory. Adding a mixer = one file pair in models/mixers/ and one line in registry.cpp.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/mixer.h"

namespace zoolab {

enum class MixerKind { Sequence, State };

enum class ParamType {
  Int,
  Float,
  Bool,
  String,
  IntOrIntList,  // an int, or a list indexed by layer (e.g. BaseConv's kernel_size)
  MixerList,     // a list of {name, kwargs} mixer configs (hybrids)
};

const char* to_string(ParamType type);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Int;
  // Default value; null means "taken from the model" (l_max defaults to the longest sequence).
  nlohmann::json default_value;
  std::optional<double> min;  // inclusive bounds for numbers (and for each int of a list)
  std::optional<double> max;
  std::vector<std::string> choices;  // allowed strings, if restricted
  std::string doc;
};

// What the backbone tells each mixer it builds (Zoology passes d_model and layer_idx; l_max comes
// from the data: the longest sequence of the run).
struct MixerContext {
  int64_t d_model = 0;
  int64_t layer_idx = 0;
  int64_t n_layers = 1;
  int64_t l_max = 0;
};

// Builds a mixer from resolved kwargs (every parameter present, defaults applied, types checked).
using MixerFactory = std::function<MixerPtr(const MixerContext&, const nlohmann::json& kwargs)>;

struct MixerSpec {
  std::string name;
  MixerKind kind = MixerKind::Sequence;
  std::string summary;
  std::vector<ParamSpec> params;
  MixerFactory factory;
};

// Every registered mixer, in registration order.
const std::vector<MixerSpec>& mixer_registry();

// The spec of `name`; throws std::invalid_argument listing the registered names of that kind.
const MixerSpec& find_mixer(MixerKind kind, const std::string& name);

// Checks kwargs against the spec (unknown keys, types, ranges, choices) and fills in defaults.
// Errors are std::invalid_argument whose message starts with "<path>.<key>: ".
nlohmann::json resolve_mixer_kwargs(const MixerSpec& spec, const nlohmann::json& kwargs,
                                    const std::string& path, const MixerContext& context);

// resolve_mixer_kwargs + factory.
MixerPtr build_mixer(MixerKind kind, const std::string& name, const nlohmann::json& kwargs,
                     const MixerContext& context, const std::string& path = "mixer");

// The registry as JSON (what `zoolab-cli mixers --json` prints).
nlohmann::json registry_to_json();

}  // namespace zoolab
