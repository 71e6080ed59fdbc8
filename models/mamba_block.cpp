#include "models/mamba_block.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

#include "models/registry.h"

namespace zoolab {

namespace {
// MambaBlock's norm_epsilon default; Zoology's backbone does not pass layer_norm_epsilon to it.
constexpr double kNormEps = 1e-5;
}  // namespace

MambaBlockImpl::MambaBlockImpl(const LanguageModelOptions& options, int64_t layer_idx) {
  if (options.state_mixer != "identity") {
    // Message shaped "<config path>: ..." so validate_model_config reports it at that path.
    throw std::invalid_argument("model.state_mixer.name: block_type \"" + options.block_type +
                                "\" has no state mixer; use \"identity\", got \"" + options.state_mixer +
                                "\"");
  }
  const MixerContext context{options.d_model, layer_idx, options.n_layers, options.l_max};
  mixer = register_module(
      "mixer", build_mixer(MixerKind::Sequence, options.sequence_mixer, options.sequence_mixer_kwargs,
                           context, "model.sequence_mixer.kwargs"));
  norm = register_module("norm", RMSNorm(options.d_model, kNormEps));
}

std::pair<torch::Tensor, torch::Tensor> MambaBlockImpl::forward(const torch::Tensor& hidden,
                                                                const torch::Tensor& residual) {
  auto stream = residual.defined() ? hidden + residual : hidden;  // (B, L, D)
  return {mixer->forward(mixer_input(norm(stream))), stream};
}

void init_mamba_weights(torch::nn::Module& model, int64_t n_layers) {
  torch::NoGradGuard no_grad;
  constexpr double kStd = 0.02;
  auto ends_with = [](const std::string& name, const std::string& suffix) {
    return name.size() >= suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  for (const auto& item : model.named_modules(/*name_prefix=*/"", /*include_self=*/false)) {
    const auto& name = item.key();
    const auto& module = item.value();
    if (auto* linear = module->as<torch::nn::LinearImpl>()) {
      // dt_proj's bias holds softplus⁻¹ of the initial step sizes (models/mixers/mamba.cpp).
      const bool keep = name == "dt_proj" || ends_with(name, ".dt_proj");
      if (linear->bias.defined() && !keep) {
        linear->bias.zero_();
      }
    } else if (auto* embedding = module->as<torch::nn::EmbeddingImpl>()) {
      embedding->weight.normal_(0.0, kStd);
    }
  }
  // Zoology matches the names exactly within each module ("out_proj.weight" of the module owning
  // out_proj), i.e. the last two components of the full name. One residual per layer (no MLP).
  const double shrink = 1.0 / std::sqrt(static_cast<double>(n_layers));
  for (auto& item : model.named_parameters()) {
    const auto& name = item.key();
    if (name == "out_proj.weight" || name == "fc2.weight" || ends_with(name, ".out_proj.weight") ||
        ends_with(name, ".fc2.weight")) {
      auto& p = item.value();
      // kaiming_uniform(a=√5): gain √(2/(1+5)), bound gain·√(3/fan_in) = 1/√fan_in.
      const double bound = 1.0 / std::sqrt(static_cast<double>(p.size(1)));
      p.uniform_(-bound, bound).mul_(shrink);
    }
  }
}

}  // namespace zoolab
