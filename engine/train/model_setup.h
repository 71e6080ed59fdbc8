#pragma once

// From a run configuration to a model: the options the backbone takes, its optimizer, and the validation that
// runs before anything trains (mixer names, kwargs and shapes, checked by building the model once).

#include <torch/optim/adamw.h>

#include "engine/config/run_config.h"
#include "models/language_model.h"

namespace zoolab {

LanguageModelOptions language_model_options(const RunConfig& config);

// The optimizer every run trains with: AdamW, betas (0.9, 0.999), eps 1e-8, the configuration's peak
// learning rate and weight decay (Zoology's defaults; docs/reference.md#training-semantics).
torch::optim::AdamW make_optimizer(LanguageModel& model, const RunConfig& config);

// Throws ConfigError naming the field (e.g. "model.sequence_mixer.kwargs.num_heads") when the
// model cannot be built from the configuration, or when the run would need more memory than this
// machine allows (engine/config/run_memory.h; checked before the model is built).
void validate_model_config(const RunConfig& config);

}  // namespace zoolab
