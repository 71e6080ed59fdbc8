#include "models/mixers/ttt.h"

#include <cmath>
#include <sstream>
#include <string>

#include <torch/torch.h>

#include "kernels/ttt_linear.h"
#include "kernels/ttt_mlp.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace {

// Zoology's ln_fwd and ln_fused_l2_bwd use their default eps; post_norm is LayerNorm(eps=1e-6).
constexpr double kTttNormEps = 1e-6;

std::string ttt_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Rotary embedding at positions t mod C, as Zoology applies it: its permute_qk / rotate_half /
// undo_permute_qk round trip rotates the interleaved pairs (2i, 2i+1) by angle pos·θ^(-2i/F).
// x: (B, H, L, F) -> (B, H, L, F). The angles are computed in float32 for float inputs, as Zoology's
// RotaryEmbedding computes them (and in the input's precision otherwise).
torch::Tensor ttt_rotary(const torch::Tensor& x, int64_t mini_batch_size, double theta) {
  const int64_t len = x.size(2), f = x.size(3);
  const auto dtype = x.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
  const auto options = torch::TensorOptions().dtype(dtype).device(x.device());
  const auto exponent =
      torch::arange(0, f, 2, options.dtype(torch::kLong)).to(dtype) / static_cast<double>(f);
  const auto inv_freq = 1.0 / torch::pow(theta, exponent);  // (F/2)
  const auto positions =
      torch::remainder(torch::arange(len, options.dtype(torch::kLong)), mini_batch_size).to(dtype);  // (L)
  const auto angles = positions.unsqueeze(1) * inv_freq.unsqueeze(0);  // (L, F/2)
  const auto cos = torch::cos(angles).to(x.scalar_type()), sin = torch::sin(angles).to(x.scalar_type());
  const auto pairs = x.reshape({x.size(0), x.size(1), len, f / 2, 2});
  const auto even = pairs.select(-1, 0), odd = pairs.select(-1, 1);  // (B, H, L, F/2)
  return torch::stack({even * cos - odd * sin, odd * cos + even * sin}, -1).reshape(x.sizes());
}

}  // namespace

TttLayerImpl::TttLayerImpl(const TttOptions& options) {
  const int64_t d = options.d_model(), heads = options.num_heads(), f = d / heads;
  // Registration order follows Zoology's TTTBase.__init__ then TTTLinear's / TTTMLP's.
  learnable_token_idx = register_parameter("learnable_token_idx", torch::zeros({options.mini_batch_size()}));
  auto linear = [d] { return torch::nn::Linear(torch::nn::LinearOptions(d, d).bias(false)); };
  q_proj = register_module("q_proj", linear());
  if (!options.share_qk()) {
    k_proj = register_module("k_proj", linear());
  }
  v_proj = register_module("v_proj", linear());
  o_proj = register_module("o_proj", linear());
  if (options.share_qk()) {
    // Zoology's depthwise nn.Conv1d(padding = K - 1) cut to the first L outputs: a causal convolution with
    // bias and no activation.
    auto conv = [&] {
      return CausalShortConv(CausalShortConvOptions(d, options.conv_kernel()).bias(true).silu(false));
    };
    conv_q = register_module("conv_q", conv());
    conv_k = register_module("conv_k", conv());
  }
  learnable_ttt_lr_weight = register_parameter("learnable_ttt_lr_weight", torch::randn({heads, 1, d}) * 0.02);
  learnable_ttt_lr_bias = register_parameter("learnable_ttt_lr_bias", torch::zeros({heads, 1}));
  ttt_norm_weight = register_parameter("ttt_norm_weight", torch::ones({heads, f}));
  ttt_norm_bias = register_parameter("ttt_norm_bias", torch::zeros({heads, f}));
  if (options.use_gate()) {
    g_proj = register_module("g_proj", linear());
  }
  post_norm =
      register_module("post_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({d}).eps(kTttNormEps)));
  // The inner model's initial state: N(0, 0.02) weights and zero biases, as Zoology draws them.
  const bool mlp = options.ttt_layer_type() == "mlp";
  const int64_t hidden = mlp ? 4 * f : f;
  W1 = register_parameter("W1", torch::randn({heads, f, hidden}) * 0.02);
  b1 = register_parameter("b1", torch::zeros({heads, 1, hidden}));
  if (mlp) {
    W2 = register_parameter("W2", torch::randn({heads, hidden, f}) * 0.02);
    b2 = register_parameter("b2", torch::zeros({heads, 1, f}));
  }
}

TttImpl::TttImpl(const TttOptions& options) : m_options(options) {
  const int64_t d = options.d_model(), heads = options.num_heads();
  if (options.ttt_layer_type() != "linear" && options.ttt_layer_type() != "mlp") {
    refuse_option("ttt", "ttt_layer_type", "\"" + options.ttt_layer_type() + "\"",
                  "is not a TTT layer type: use \"linear\" (TTT-Linear) or \"mlp\" (TTT-MLP)");
  }
  if (heads < 1 || d % heads != 0) {
    refuse_option("ttt", "num_heads", std::to_string(heads),
                  "must divide d_model " + std::to_string(d) + " (each head has width d_model / num_heads)");
  }
  if ((d / heads) % 2 != 0) {
    refuse_option(
        "ttt", "num_heads", std::to_string(heads),
        "gives an odd head width " + std::to_string(d / heads) + " (d_model " + std::to_string(d) +
            "): the rotary embedding rotates pairs of features, so d_model / num_heads must be even");
  }
  if (options.mini_batch_size() < 1) {
    refuse_option("ttt", "mini_batch_size", std::to_string(options.mini_batch_size()), "must be at least 1");
  }
  if (options.share_qk() && options.conv_kernel() < 1) {
    refuse_option("ttt", "conv_kernel", std::to_string(options.conv_kernel()),
                  "must be at least 1 (the taps of conv_q and conv_k with share_qk)");
  }
  if (!(options.ttt_base_lr() >= 0.0) || !std::isfinite(options.ttt_base_lr())) {
    refuse_option("ttt", "ttt_base_lr", ttt_number(options.ttt_base_lr()), "must be finite and non-negative");
  }
  if (!(options.rope_theta() > 0.0) || !std::isfinite(options.rope_theta())) {
    refuse_option("ttt", "rope_theta", ttt_number(options.rope_theta()), "must be finite and positive");
  }
  ttt_layer = register_module("ttt_layer", TttLayer(options));
}

int64_t TttImpl::state_size(int64_t /*seq_len*/) const {
  const int64_t heads = m_options.num_heads(), f = m_options.d_model() / heads;
  return m_options.ttt_layer_type() == "mlp" ? heads * (8 * f * f + 5 * f) : heads * f * (f + 1);
}

torch::Tensor TttImpl::forward(const torch::Tensor& u) {
  const int64_t batch = u.size(0), len = u.size(1), d = u.size(2);
  const int64_t heads = m_options.num_heads(), f = d / heads, c = m_options.mini_batch_size();
  auto& layer = *ttt_layer;
  torch::Tensor xq, xk;
  if (m_options.share_qk()) {
    const auto shared = layer.q_proj(u);  // (B, L, D)
    xq = layer.conv_q(shared);
    xk = layer.conv_k(shared);
  } else {
    xq = layer.q_proj(u);
    xk = layer.k_proj(u);
  }
  auto split = [&](const torch::Tensor& t) { return t.view({batch, len, heads, f}).transpose(1, 2); };
  const auto q = ttt_rotary(split(xq), c, m_options.rope_theta());  // (B, H, L, F)
  const auto k = ttt_rotary(split(xk), c, m_options.rope_theta());  // (B, H, L, F)
  const auto v = split(layer.v_proj(u));                            // (B, H, L, F)

  // Zoology's get_eta: a learnt per-token, per-head rate from the mixer's input, and the per-position
  // rate 1/(i+1) + offset (clamped at 0) within each mini-batch.
  const auto lr_logits = torch::matmul(u, layer.learnable_ttt_lr_weight.squeeze(1).t()) +
                         layer.learnable_ttt_lr_bias.view({heads});  // (B, L, H)
  const auto eta_col = (m_options.ttt_base_lr() / static_cast<double>(f)) *
                       torch::sigmoid(lr_logits).transpose(1, 2).contiguous();  // (B, H, L)
  const auto position = torch::remainder(torch::arange(len, u.options().dtype(torch::kLong)), c);  // (L)
  const auto token_rate =
      torch::clamp_min(1.0 / torch::arange(1, c + 1, u.options()) + layer.learnable_token_idx, 0.0);  // (C)
  const auto eta_row = token_rate.index_select(0, position).view({1, 1, len}).expand({batch, heads, len});

  torch::Tensor inner_loss;
  auto* loss = capturing() ? &inner_loss : nullptr;
  const auto z = m_options.ttt_layer_type() == "mlp"
                     ? kernels::ttt_mlp(q, k, v, eta_row, eta_col, layer.W1, layer.b1.squeeze(1), layer.W2,
                                        layer.b2.squeeze(1), layer.ttt_norm_weight, layer.ttt_norm_bias, c,
                                        kTttNormEps, loss)
                     : kernels::ttt_linear(q, k, v, eta_row, eta_col, layer.W1, layer.b1.squeeze(1),
                                           layer.ttt_norm_weight, layer.ttt_norm_bias, c, kTttNormEps, loss);
  if (capturing()) {
    capture("eta", eta_col);
    capture("inner_loss", inner_loss);
  }
  // Zoology's TTTLinear / TTTMLP output: q plus the layer-normed prediction, heads concatenated.
  auto y = (q + kernels::ttt_layer_norm(z, layer.ttt_norm_weight, layer.ttt_norm_bias, kTttNormEps))
               .transpose(1, 2)
               .reshape({batch, len, d});  // (B, L, D)
  y = layer.post_norm(y);
  if (m_options.use_gate()) {
    y = torch::gelu(layer.g_proj(u), "tanh") * y;
  }
  return layer.o_proj(y);  // (B, L, D)
}

MixerSpec ttt_spec() {
  MixerSpec spec;
  spec.name = "ttt";
  spec.kind = MixerKind::Sequence;
  spec.summary =
      "TTT: per-head inner model (linear or MLP) trained on the sequence by mini-batch gradient steps";
  const TttOptions defaults(64);
  spec.params = {
      ParamSpec::integer("num_heads")
          .defaults_to(defaults.num_heads())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Heads; each trains its own inner model of width d_model / num_heads (must be even)"),
      ParamSpec::string("ttt_layer_type")
          .defaults_to(defaults.ttt_layer_type())
          .one_of({"linear", "mlp"})
          .described(
              "Inner model: linear (TTT-Linear) or mlp (TTT-MLP: GELU hidden layer of 4 × head width)"),
      ParamSpec::number("ttt_base_lr")
          .defaults_to(defaults.ttt_base_lr())
          .at_least(0)
          .described("Base inner learning rate; each token's is base · σ(learnt) / head width"),
      ParamSpec::integer("mini_batch_size")
          .defaults_to(defaults.mini_batch_size())
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Tokens per inner gradient step (all gradients of a mini-batch taken at its start)"),
      ParamSpec::boolean("use_gate")
          .defaults_to(defaults.use_gate())
          .described("Multiply the output by gelu(g_proj(x)) before o_proj (Mamba-backbone gating)"),
      ParamSpec::boolean("share_qk")
          .defaults_to(defaults.share_qk())
          .described("One projection for q and k, then separate causal convolutions conv_q and conv_k"),
      ParamSpec::boolean("pre_conv")
          .defaults_to(defaults.pre_conv())
          .described(
              "Accepted for Zoology configs; Zoology's TTT mixer never builds its Block's pre-conv, so "
              "it has no effect"),
      ParamSpec::integer("conv_kernel")
          .defaults_to(defaults.conv_kernel())
          .at_least(1)
          .at_most(kMaxTapsKwarg)
          .described("Taps of conv_q and conv_k (share_qk only)"),
      ParamSpec::number("rope_theta")
          .defaults_to(defaults.rope_theta())
          .at_least(1e-9)
          .described("Rotary base; positions restart at every mini-batch"),
      ParamSpec::number("rms_norm_eps")
          .defaults_to(defaults.rms_norm_eps())
          .at_least(0)
          .described("Accepted for Zoology configs; used only by Zoology's Block, so it has no effect"),
      ParamSpec::integer("scan_checkpoint_group_size")
          .defaults_to(defaults.scan_checkpoint_group_size())
          .at_least(0)
          .at_most(kMaxLengthKwarg)
          .described("Accepted for Zoology configs (gradient checkpointing there; memory only): no effect"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<TttImpl>(
        TttOptions(context.d_model)
            .layer_idx(context.layer_idx)
            .num_heads(kwargs.at("num_heads").get<int64_t>())
            .ttt_layer_type(kwargs.at("ttt_layer_type").get<std::string>())
            .ttt_base_lr(kwargs.at("ttt_base_lr").get<double>())
            .mini_batch_size(kwargs.at("mini_batch_size").get<int64_t>())
            .use_gate(kwargs.at("use_gate").get<bool>())
            .share_qk(kwargs.at("share_qk").get<bool>())
            .pre_conv(kwargs.at("pre_conv").get<bool>())
            .conv_kernel(kwargs.at("conv_kernel").get<int64_t>())
            .rope_theta(kwargs.at("rope_theta").get<double>())
            .rms_norm_eps(kwargs.at("rms_norm_eps").get<double>())
            .scan_checkpoint_group_size(kwargs.at("scan_checkpoint_group_size").get<int64_t>()));
  };
  return spec;
}

}  // namespace zoolab
