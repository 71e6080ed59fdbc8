#include "models/mixers/gated_delta_net.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "kernels/delta_rule.h"
#include "models/mixers/delta_net.h"
#include "models/mixers/option_error.h"

namespace zoolab {

GatedDeltaNetImpl::GatedDeltaNetImpl(const GatedDeltaNetOptions& options) : m_options(options) {
  const int64_t d = options.d_model(), heads = options.num_heads();
  if (!options.use_short_conv()) {
    refuse_option(
        "gated_delta_net", "use_short_conv", "false",
        "is not supported: Zoology's GatedDeltaNet refuses it too (the short convolutions are crucial "
        "to its performance); use true");
  }
  if (heads < 1 || heads > d) {
    refuse_option(
        "gated_delta_net", "num_heads", std::to_string(heads),
        "must be in [1, d_model " + std::to_string(d) + "] (head_dim = d_model / num_heads, floored)");
  }
  if (options.conv_size() < 1) {
    refuse_option("gated_delta_net", "conv_size", std::to_string(options.conv_size()), "must be at least 1");
  }
  m_head_k_dim = d / heads;
  const double head_v = static_cast<double>(m_head_k_dim) * options.expand_v();
  if (head_v < 1 || head_v != std::floor(head_v)) {
    refuse_option("gated_delta_net", "expand_v", std::to_string(options.expand_v()),
                  "must make head_v_dim = head_dim " + std::to_string(m_head_k_dim) +
                      " · expand_v a positive whole number");
  }
  m_head_v_dim = static_cast<int64_t>(head_v);
  const int64_t key_dim = heads * m_head_k_dim, value_dim = heads * m_head_v_dim;

  auto linear = [](int64_t in, int64_t out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  // Registration order follows the reference's state dict.
  q_proj = register_module("q_proj", linear(d, key_dim));
  k_proj = register_module("k_proj", linear(d, key_dim));
  v_proj = register_module("v_proj", linear(d, value_dim));
  b_proj = register_module("b_proj", linear(d, heads));
  a_proj = register_module("a_proj", linear(d, heads));
  // Zoology's (Mamba2's) initialisation: A ~ U(0, 16) stored as its log; Δ log-uniform in [0.001, 0.1],
  // floored at 1e-4, stored as softplus⁻¹(Δ) = Δ + log(-expm1(-Δ)) so that softplus(dt_bias) = Δ.
  A_log = register_parameter("A_log", torch::empty({heads}).uniform_(0, 16).log());
  // D never reaches the output, so it never has a gradient: frozen here (requires_grad false) so that the
  // optimiser leaves it at ones, as Zoology's AdamW does with a parameter whose grad is None. The one
  // visible difference: num_parameters counts only trainable tensors, H fewer per layer than Zoology's.
  D = register_parameter("D", torch::ones({heads}), /*requires_grad=*/false);
  const double dt_min = 0.001, dt_max = 0.1, dt_floor = 1e-4;
  const auto dt = torch::exp(torch::rand({heads}) * (std::log(dt_max) - std::log(dt_min)) + std::log(dt_min))
                      .clamp_min(dt_floor);
  dt_bias = register_parameter("dt_bias", dt + torch::log(-torch::expm1(-dt)));
  q_conv1d =
      register_module("q_conv1d", CausalShortConv(CausalShortConvOptions(key_dim, options.conv_size())));
  k_conv1d =
      register_module("k_conv1d", CausalShortConv(CausalShortConvOptions(key_dim, options.conv_size())));
  v_conv1d =
      register_module("v_conv1d", CausalShortConv(CausalShortConvOptions(value_dim, options.conv_size())));
  if (options.use_gate()) {
    g_proj = register_module("g_proj", linear(d, value_dim));
    o_norm_gated = register_module("o_norm", SwishGatedRMSNorm(m_head_v_dim, options.norm_eps()));
  } else {
    o_norm = register_module("o_norm", RMSNorm(m_head_v_dim, options.norm_eps()));
  }
  o_proj = register_module("o_proj", linear(value_dim, d));
}

torch::Tensor GatedDeltaNetImpl::forward(const torch::Tensor& u) {
  const int64_t batch = u.size(0), len = u.size(1), heads = m_options.num_heads();
  // q and k L2-normalised per head: Zoology always asks fla for use_qk_l2norm_in_kernel.
  const auto q = delta_net_detail::l2_normalise(q_conv1d(q_proj(u)).view({batch, len, heads, m_head_k_dim}));
  const auto k = delta_net_detail::l2_normalise(k_conv1d(k_proj(u)).view({batch, len, heads, m_head_k_dim}));
  const auto v = v_conv1d(v_proj(u)).view({batch, len, heads, m_head_v_dim});  // (B, L, H, V)
  const auto beta = torch::sigmoid(b_proj(u));                                 // (B, L, H)
  const auto g = -A_log.exp() * torch::softplus(a_proj(u) + dt_bias);          // (B, L, H): log decay ≤ 0

  // The kernel's layout: (B, H, L, ·). Zoology casts q, k, v, β, g to bfloat16 for fla's GPU kernel; here
  // everything stays in the model's dtype.
  const auto qh = q.transpose(1, 2), kh = k.transpose(1, 2), vh = v.transpose(1, 2);
  const auto bh = beta.transpose(1, 2), gh = g.transpose(1, 2);  // (B, H, L)
  const double scale = 1.0 / std::sqrt(static_cast<double>(m_head_k_dim));
  const auto o = kernels::gated_delta_rule(qh, kh, vh, bh, gh, scale).transpose(1, 2);  // (B, L, H, V)
  if (capturing()) {
    torch::NoGradGuard no_grad;
    capture("beta", bh);
    capture("decay", gh.exp());  // (B, H, L): the per-step gate e^g
    capture_value_weights(kernels::gated_delta_rule_weights(qh, kh, bh, gh, scale));
  }
  const auto normed = m_options.use_gate()
                          ? o_norm_gated(o, g_proj(u).view({batch, len, heads, m_head_v_dim}))
                          : o_norm(o);  // (B, L, H, V)
  return o_proj(normed.reshape({batch, len, heads * m_head_v_dim}));
}

MixerSpec gated_delta_net_spec() {
  MixerSpec spec;
  spec.name = "gated_delta_net";
  spec.kind = MixerKind::Sequence;
  spec.summary =
      "Gated DeltaNet: the delta rule with a Mamba2-style per-head decay gate, short convs on q/k/v";
  const GatedDeltaNetOptions defaults(1);
  spec.params = {
      ParamSpec::number("expand_v")
          .defaults_to(defaults.expand_v())
          .at_least(0)
          .at_most(kMaxExpandKwarg)
          .described("Value width per head head_v_dim = head_dim · expand_v (a whole number)"),
      ParamSpec::integer("num_heads")
          .defaults_to(defaults.num_heads())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Heads; head_dim = d_model / num_heads, floored (Zoology's default 6)"),
      ParamSpec::boolean("use_gate")
          .defaults_to(defaults.use_gate())
          .described("Output gate: RMSNorm(o) · SiLU(g_proj u) instead of RMSNorm(o)"),
  };
  const auto shared = delta_net_detail::shared_params(defaults.conv_size(), defaults.norm_eps());
  spec.params.insert(spec.params.end(), shared.begin(), shared.end());
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<GatedDeltaNetImpl>(GatedDeltaNetOptions(context.d_model)
                                                   .expand_v(kwargs.at("expand_v").get<double>())
                                                   .num_heads(kwargs.at("num_heads").get<int64_t>())
                                                   .use_gate(kwargs.at("use_gate").get<bool>())
                                                   .use_short_conv(kwargs.at("use_short_conv").get<bool>())
                                                   .conv_size(kwargs.at("conv_size").get<int64_t>())
                                                   .conv_bias(kwargs.at("conv_bias").get<bool>())
                                                   .norm_eps(kwargs.at("norm_eps").get<double>()));
  };
  return spec;
}

}  // namespace zoolab
