#pragma once

// From a run configuration to a model: the options the backbone takes, and the validation that
// runs before anything trains (mixer names, kwargs and shapes, checked by building the model once).

#include "engine/config/run_config.h"
#include "models/language_model.h"

namespace zoolab {

LanguageModelOptions language_model_options(const RunConfig& config);

// Throws ConfigError naming the field (e.g. "model.sequence_mixer.kwargs.num_heads") when the
// model cannot be built from the configuration.
void validate_model_config(const RunConfig& config);

}  // namespace zoolab
