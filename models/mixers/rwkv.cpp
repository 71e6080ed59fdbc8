#include "models/mixers/rwkv.h"

#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

#include "kernels/wkv.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace {

// Channels per chunk when capturing the mixing weights, so the (B, chunk, L, L) weights stay small.
constexpr int64_t kCaptureChunk = 8;

}  // namespace

RwkvImpl::RwkvImpl(const RwkvOptions& options) : m_options(options) {
  const int64_t d = options.d_model(), n_layer = options.n_layer(), layer = options.layer_idx();
  // Zoology's formulas divide by d - 1 and n_layer - 1, and raise 0 (channel 0's mix) to the power
  // 1 - layer/n_layer: these bounds are where they are finite.
  if (d < 2) {
    refuse_option("rwkv", "d_model", std::to_string(d),
                  "must be at least 2 (the time_decay initialisation divides by d_model - 1)");
  }
  if (n_layer < 2) {
    refuse_option("rwkv", "n_layer", std::to_string(n_layer),
                  "must be at least 2 (the initialisation divides by n_layer - 1)");
  }
  if (layer < 0 || layer > n_layer) {
    refuse_option("rwkv", "layer_idx", std::to_string(layer),
                  "must be in [0, n_layer] (n_layer " + std::to_string(n_layer) +
                      "; beyond it the time_mix initialisation is infinite): raise n_layer");
  }
  if (options.l_max() < 1) {
    refuse_option("rwkv", "l_max", std::to_string(options.l_max()), "must be positive");
  }

  // Zoology's per-layer initialisation (docs/reference.md#rwkv), computed in double and stored as float.
  const double ratio_0_to_1 = static_cast<double>(layer) / static_cast<double>(n_layer - 1);
  const double ratio_1_to_almost0 = 1.0 - static_cast<double>(layer) / static_cast<double>(n_layer);
  std::vector<float> decay(d), first(d), mix_k(d), mix_v(d), mix_r(d);
  for (int64_t h = 0; h < d; ++h) {
    // Decay speeds from -5 (slow: w = -e^{-5}) to 3 (fast), curved more in later layers.
    decay[h] = static_cast<float>(
        -5.0 + 8.0 * std::pow(static_cast<double>(h) / static_cast<double>(d - 1), 0.7 + 1.3 * ratio_0_to_1));
    // ln 0.3 with a zigzag of -0.5, 0, +0.5 over channels.
    first[h] = static_cast<float>(std::log(0.3) + 0.5 * static_cast<double>((h + 1) % 3 - 1));
    const double x = static_cast<double>(h) / static_cast<double>(d);
    mix_k[h] = static_cast<float>(std::pow(x, ratio_1_to_almost0));
    mix_v[h] = static_cast<float>(std::pow(x, ratio_1_to_almost0) + 0.3 * ratio_0_to_1);
    mix_r[h] = static_cast<float>(std::pow(x, 0.5 * ratio_1_to_almost0));
  }
  auto vector = [d](const std::vector<float>& values) { return torch::tensor(values).view({d}); };
  // Registration order follows the reference's state dict.
  time_decay = register_parameter("time_decay", vector(decay));
  time_first = register_parameter("time_first", vector(first));
  time_mix_k = register_parameter("time_mix_k", vector(mix_k).view({1, 1, d}));
  time_mix_v = register_parameter("time_mix_v", vector(mix_v).view({1, 1, d}));
  time_mix_r = register_parameter("time_mix_r", vector(mix_r).view({1, 1, d}));
  // Default Linear init here; inside a LanguageModel the GPT-2 init (docs/reference.md#initialisation)
  // redraws all four with std 0.02 (none ends in out_proj.weight, so `output` is not rescaled). Zoology's
  // `scale_init` marks are read only by its unused init_rwkv.
  auto no_bias = [d] { return torch::nn::Linear(torch::nn::LinearOptions(d, d).bias(false)); };
  key = register_module("key", no_bias());
  value = register_module("value", no_bias());
  receptance = register_module("receptance", no_bias());
  output = register_module("output", no_bias());
}

torch::Tensor RwkvImpl::forward(const torch::Tensor& u) {
  // Token shift (Zoology's ZeroPad2d((0, 0, 1, -1))): position t sees x_{t-1}, position 0 zeros.
  const auto shifted = torch::constant_pad_nd(u, {0, 0, 1, -1});  // (B, L, D)
  auto mix = [&](const torch::Tensor& share) { return u * share + shifted * (1 - share); };
  const auto k = key(mix(time_mix_k));                            // (B, L, D)
  const auto v = value(mix(time_mix_v));                          // (B, L, D)
  const auto gate = torch::sigmoid(receptance(mix(time_mix_r)));  // (B, L, D)
  const auto wkv = kernels::wkv(time_decay, time_first, k, v);    // (B, L, D)
  if (capturing()) {
    torch::NoGradGuard no_grad;
    capture("decay", torch::exp(time_decay));  // (D): per-step forgetting rate, e^w = exp(-decay)
    // Each channel mixes positions with its own row-stochastic weights (kernels::wkv_weights); the
    // inspector gets their mean over channels, itself row-stochastic: (B, 1, L, L).
    const int64_t d = m_options.d_model();
    torch::Tensor mean;
    for (int64_t c = 0; c < d; c += kCaptureChunk) {
      const int64_t n = std::min(kCaptureChunk, d - c);
      auto part =
          kernels::wkv_weights(time_decay.narrow(0, c, n), time_first.narrow(0, c, n), k.narrow(2, c, n))
              .sum(1, /*keepdim=*/true);  // (B, 1, L, L)
      mean = mean.defined() ? mean + part : part;
    }
    capture("attention", mean / static_cast<double>(d));
  }
  return output(gate * wkv);  // (B, L, D)
}

MixerSpec rwkv_spec() {
  MixerSpec spec;
  spec.name = "rwkv";
  spec.kind = MixerKind::Sequence;
  spec.summary =
      "RWKV v4 time mixing: token shift, per-channel decaying weighted average (WKV), sigmoid gate";
  const RwkvOptions defaults(2, 1);
  spec.params = {
      ParamSpec::integer("l_max")
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Longest sequence; default: the data's. Stored but unused, as in Zoology"),
      ParamSpec::integer("n_layer")
          .defaults_to(defaults.n_layer())
          .at_least(2)
          .at_most(kMaxDepthKwarg)
          .described("Depth assumed by the per-layer initialisation (Zoology's default 12; not the model's "
                     "n_layers)"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<RwkvImpl>(RwkvOptions(context.d_model, kwargs.at("l_max").get<int64_t>())
                                          .n_layer(kwargs.at("n_layer").get<int64_t>())
                                          .layer_idx(context.layer_idx));
  };
  return spec;
}

}  // namespace zoolab
