#pragma once

// Where a mixer's complaint belongs. Constraints between parameters (num_heads dividing d_model, a
// per-layer list long enough) show only when a mixer is built, and the mixer reports them as
// "<mixer>: <what>" with no path. So that the window marks the parameter's field and the CLI names it,
// the complaint is placed on the module of that mixer (or the first hybrid entry of it) and on the first
// of its parameters the text names.

#include <string>

#include "engine/config/run_config.h"

namespace zoolab {

// "model.sequence_mixer.kwargs.num_heads", "model.sequence_mixer.kwargs.configs[1].kwargs.kernel_size",
// or `fallback` when the complaint names no mixer of `model` (or no module of it can be told).
std::string mixer_complaint_path(const ModelConfig& model, const std::string& complaint,
                                 const std::string& fallback);

}  // namespace zoolab
