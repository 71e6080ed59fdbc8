#pragma once

// The mixer registry: for every mixer its name, a one-line summary, the
// specs of its parameters (from which the GUI builds forms and `zoolab-cli mixers` prints) and a
// factory. Adding a mixer = one file pair in models/mixers/ and one line in registry.cpp.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/param_spec.h"
#include "models/mixer.h"

namespace zoolab {

enum class MixerKind { Sequence, State };

// Upper bounds of integer kwargs, far above any model zoolab trains and low enough that a typo cannot
// ask for terabytes; the run's memory estimate (engine/config/run_memory.h) bounds their combinations.
inline constexpr double kMaxWidthKwarg = 65536;     // heads, head widths, ranks (model.d_model's cap)
inline constexpr double kMaxLengthKwarg = 1048576;  // l_max, windows, lookups: 2^20 positions
inline constexpr double kMaxTapsKwarg = 4096;       // state sizes, filter widths, convolution taps
inline constexpr double kMaxFeatureKwarg = 1024;    // Based's feature_dim (its feature map is 1 + f + f²)
inline constexpr double kMaxExpandKwarg = 64;       // Mamba's expand (the inner width is expand · d_model)
inline constexpr double kMaxDepthKwarg = 1024;      // depths assumed by initialisations (model.n_layers' cap)

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
