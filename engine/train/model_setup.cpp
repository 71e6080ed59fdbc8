#include "engine/train/model_setup.h"

#include <stdexcept>

#include <torch/torch.h>

#include "engine/config/run_memory.h"
#include "engine/train/mixer_complaint.h"
#include "models/registry.h"

namespace zoolab {

LanguageModelOptions language_model_options(const RunConfig& config) {
  LanguageModelOptions options;
  options.vocab_size = effective_vocab_size(config);
  options.d_model = config.model.d_model;
  options.n_layers = config.model.n_layers;
  options.max_position_embeddings = config.model.max_position_embeddings;
  options.l_max = max_seq_len(config.data);
  options.embed_dropout = config.model.embed_dropout;
  options.resid_dropout = config.model.resid_dropout;
  options.layer_norm_epsilon = config.model.layer_norm_epsilon;
  options.block_type = config.model.block_type;
  options.sequence_mixer = config.model.sequence_mixer.name;
  options.sequence_mixer_kwargs = config.model.sequence_mixer.kwargs;
  options.state_mixer = config.model.state_mixer.name;
  options.state_mixer_kwargs = config.model.state_mixer.kwargs;
  return options;
}

namespace {

// Registry messages start with "<path>: "; split it off so ConfigError carries the path.
[[noreturn]] void rethrow_as_config_error(const std::string& fallback_path, const std::string& message) {
  const auto colon = message.find(": ");
  if (colon != std::string::npos && message.compare(0, 6, "model.") == 0) {
    throw ConfigError(message.substr(0, colon), message.substr(colon + 2));
  }
  throw ConfigError(fallback_path, message);
}

}  // namespace

void validate_model_config(const RunConfig& config) {
  const auto options = language_model_options(config);
  const MixerContext context{options.d_model, 0, options.n_layers, options.l_max};
  nlohmann::json sequence_kwargs;
  nlohmann::json state_kwargs;
  try {
    sequence_kwargs =
        resolve_mixer_kwargs(find_mixer(MixerKind::Sequence, options.sequence_mixer),
                             options.sequence_mixer_kwargs, "model.sequence_mixer.kwargs", context);
  } catch (const std::invalid_argument& error) {
    rethrow_as_config_error("model.sequence_mixer.name", error.what());
  }
  try {
    state_kwargs = resolve_mixer_kwargs(find_mixer(MixerKind::State, options.state_mixer),
                                        options.state_mixer_kwargs, "model.state_mixer.kwargs", context);
  } catch (const std::invalid_argument& error) {
    rethrow_as_config_error("model.state_mixer.name", error.what());
  }
  // Estimate before building: the model below is built for real, as training would build it.
  check_run_memory(config, sequence_kwargs, state_kwargs);
  // Cross-parameter constraints (num_heads dividing d_model, per-layer lists long enough, l_max
  // covering the longest sequence) show when the layers are built and run: do it once on the CPU.
  try {
    torch::NoGradGuard no_grad;
    LanguageModel model(options);
    model->eval();
    // The backbone only: the tied head cannot fail once the embeddings exist, and at a paper-scale
    // vocabulary it is most of the cost (1024 x 768 x 50304 multiply-adds for text-paper-*-125m).
    model->backbone(torch::zeros({1, options.l_max}, torch::kLong));
  } catch (const std::invalid_argument& error) {
    // "<mixer>: <what>": placed on that mixer's module and the parameter it names (mixer_complaint.h).
    throw ConfigError(mixer_complaint_path(config.model, error.what(), "model.sequence_mixer.kwargs"),
                      error.what());
  } catch (const c10::Error& error) {
    throw ConfigError("model", error.what_without_backtrace());
  }
}

torch::optim::AdamW make_optimizer(LanguageModel& model, const RunConfig& config) {
  return torch::optim::AdamW(model->parameters(), torch::optim::AdamWOptions(config.train.learning_rate)
                                                      .betas({0.9, 0.999})
                                                      .eps(1e-8)
                                                      .weight_decay(config.train.weight_decay));
}

}  // namespace zoolab
