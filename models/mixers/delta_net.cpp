#include "models/mixers/delta_net.h"

#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

#include "kernels/delta_rule.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace delta_net_detail {

torch::Tensor l2_normalise(const torch::Tensor& x) {
  return x * torch::rsqrt(x.pow(2).sum(-1, /*keepdim=*/true) + 1e-6);
}

std::vector<ParamSpec> shared_params(int64_t conv_size, double norm_eps) {
  return {
      ParamSpec::boolean("use_short_conv")
          .defaults_to(true)
          .described("Short causal convolutions on q, k, v; only true (Zoology refuses false)"),
      ParamSpec::integer("conv_size")
          .defaults_to(conv_size)
          .at_least(1)
          .at_most(kMaxTapsKwarg)
          .described("Taps of the short convolutions"),
      ParamSpec::boolean("conv_bias")
          .defaults_to(false)
          .described("Accepted for Zoology configs; Zoology never passes it on, so the convolutions have no "
                     "bias either way"),
      ParamSpec::number("norm_eps")
          .defaults_to(norm_eps)
          .at_least(0)
          .at_most(1)
          .described("Epsilon of the output RMSNorm"),
      ParamSpec::string("mode")
          .defaults_to("chunk")
          .one_of({"chunk", "fused_recurrent"})
          .described(
              "Accepted for Zoology configs; selects one of fla's GPU kernels, same math, so no effect "
              "here"),
  };
}

}  // namespace delta_net_detail

namespace {

// Python's int(d_model · expand): the reference truncates the product towards zero.
int64_t delta_net_width(int64_t d_model, double expand) {
  return static_cast<int64_t>(static_cast<double>(d_model) * expand);
}

}  // namespace

DeltaNetImpl::DeltaNetImpl(const DeltaNetOptions& options) : m_options(options) {
  const int64_t d = options.d_model(), heads = options.num_heads();
  if (!options.use_short_conv()) {
    refuse_option(
        "delta_net", "use_short_conv", "false",
        "is not supported: Zoology's DeltaNet refuses it too (the short convolutions are crucial to "
        "its performance); use true");
  }
  if (heads < 1) {
    refuse_option("delta_net", "num_heads", std::to_string(heads), "must be at least 1");
  }
  if (options.conv_size() < 1) {
    refuse_option("delta_net", "conv_size", std::to_string(options.conv_size()), "must be at least 1");
  }
  if (options.qk_activation() != "silu" && options.qk_activation() != "relu" &&
      options.qk_activation() != "elu" && options.qk_activation() != "identity") {
    refuse_option("delta_net", "qk_activation", options.qk_activation(),
                  "is not one of silu, relu, elu, identity");
  }
  if (options.qk_norm() != "l2" && options.qk_norm() != "sum") {
    refuse_option("delta_net", "qk_norm", options.qk_norm(), "is not one of l2, sum");
  }
  const int64_t key_dim = delta_net_width(d, options.expand_k());
  const int64_t value_dim = delta_net_width(d, options.expand_v());
  auto check_width = [&](const char* key, const char* width, double expand, int64_t dim) {
    if (dim < heads || dim % heads != 0) {
      refuse_option("delta_net", key, std::to_string(expand),
                    std::string("gives ") + width + " = int(d_model " + std::to_string(d) + " · " + key +
                        ") = " + std::to_string(dim) + ", which must be a positive multiple of num_heads " +
                        std::to_string(heads));
    }
  };
  check_width("expand_k", "key_dim", options.expand_k(), key_dim);
  check_width("expand_v", "value_dim", options.expand_v(), value_dim);
  m_head_k_dim = key_dim / heads;
  m_head_v_dim = value_dim / heads;

  auto linear = [](int64_t in, int64_t out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  // Registration order follows the reference's state dict.
  q_proj = register_module("q_proj", linear(d, key_dim));
  k_proj = register_module("k_proj", linear(d, key_dim));
  v_proj = register_module("v_proj", linear(d, value_dim));
  if (options.use_beta()) {
    b_proj = register_module("b_proj", linear(d, heads));
  }
  // SiLU inside the q and k convolutions only for qk_activation silu (the others follow the split into
  // heads); v's always has it.
  const bool qk_silu = options.qk_activation() == "silu";
  q_conv1d = register_module(
      "q_conv1d", CausalShortConv(CausalShortConvOptions(key_dim, options.conv_size()).silu(qk_silu)));
  k_conv1d = register_module(
      "k_conv1d", CausalShortConv(CausalShortConvOptions(key_dim, options.conv_size()).silu(qk_silu)));
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

torch::Tensor DeltaNetImpl::forward(const torch::Tensor& u) {
  const int64_t batch = u.size(0), len = u.size(1), heads = m_options.num_heads();
  auto q = q_conv1d(q_proj(u)).view({batch, len, heads, m_head_k_dim});        // (B, L, H, K)
  auto k = k_conv1d(k_proj(u)).view({batch, len, heads, m_head_k_dim});        // (B, L, H, K)
  const auto v = v_conv1d(v_proj(u)).view({batch, len, heads, m_head_v_dim});  // (B, L, H, V)
  const auto& activation = m_options.qk_activation();
  if (activation == "relu") {
    q = torch::relu(q);
    k = torch::relu(k);
  } else if (activation == "elu") {
    q = torch::elu(q) + 1;
    k = torch::elu(k) + 1;
  }
  if (m_options.qk_norm() == "sum") {
    q = q / q.sum(-1, /*keepdim=*/true);
    k = k / k.sum(-1, /*keepdim=*/true);
  } else {
    // fla's use_qk_l2norm_in_kernel, done here: the kernel is the bare delta rule (kernels/delta_rule.h).
    q = delta_net_detail::l2_normalise(q);
    k = delta_net_detail::l2_normalise(k);
  }
  auto beta =
      m_options.use_beta() ? torch::sigmoid(b_proj(u)) : torch::ones({batch, len, heads}, u.options());
  if (m_options.allow_neg_eigval()) {
    beta = beta * 2.0;  // β in (0, 2): I - β k kᵀ may have a negative eigenvalue
  }

  // The kernel's layout: (B, H, L, ·).
  const auto qh = q.transpose(1, 2), kh = k.transpose(1, 2), vh = v.transpose(1, 2);
  const auto bh = beta.transpose(1, 2);  // (B, H, L)
  const double scale = 1.0 / std::sqrt(static_cast<double>(m_head_k_dim));
  const auto o = kernels::gated_delta_rule(qh, kh, vh, bh, {}, scale).transpose(1, 2);  // (B, L, H, V)
  if (capturing()) {
    torch::NoGradGuard no_grad;
    capture("beta", bh);
    capture_value_weights(kernels::gated_delta_rule_weights(qh, kh, bh, {}, scale));
  }
  const auto normed = m_options.use_gate()
                          ? o_norm_gated(o, g_proj(u).view({batch, len, heads, m_head_v_dim}))
                          : o_norm(o);  // (B, L, H, V)
  return o_proj(normed.reshape({batch, len, heads * m_head_v_dim}));
}

MixerSpec delta_net_spec() {
  MixerSpec spec;
  spec.name = "delta_net";
  spec.kind = MixerKind::Sequence;
  spec.summary = "DeltaNet: linear attention with the delta-rule state update, short convs on q/k/v";
  const DeltaNetOptions defaults(1);
  spec.params = {
      ParamSpec::number("expand_k")
          .defaults_to(defaults.expand_k())
          .at_least(0)
          .at_most(kMaxExpandKwarg)
          .described("Key width key_dim = int(d_model · expand_k), split over the heads"),
      ParamSpec::number("expand_v")
          .defaults_to(defaults.expand_v())
          .at_least(0)
          .at_most(kMaxExpandKwarg)
          .described("Value width value_dim = int(d_model · expand_v), split over the heads"),
      ParamSpec::integer("num_heads")
          .defaults_to(defaults.num_heads())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Heads; must divide key_dim and value_dim"),
      ParamSpec::boolean("use_beta")
          .defaults_to(defaults.use_beta())
          .described("Learned write strength β = σ(b_proj u) per head and position; false: β = 1"),
      ParamSpec::boolean("use_gate")
          .defaults_to(defaults.use_gate())
          .described("Output gate: RMSNorm(o) · SiLU(g_proj u) instead of RMSNorm(o)"),
      ParamSpec::boolean("allow_neg_eigval")
          .defaults_to(defaults.allow_neg_eigval())
          .described("β doubled to (0, 2), so that I - β k kᵀ can have a negative eigenvalue"),
      ParamSpec::string("qk_activation")
          .defaults_to(defaults.qk_activation())
          .one_of({"silu", "relu", "elu", "identity"})
          .described("Feature map of q and k (silu inside the short convolution; elu is elu + 1)"),
      ParamSpec::string("qk_norm")
          .defaults_to(defaults.qk_norm())
          .one_of({"l2", "sum"})
          .described("Normalisation of q and k per head: unit L2 norm, or divided by their sum"),
  };
  const auto shared = delta_net_detail::shared_params(defaults.conv_size(), defaults.norm_eps());
  spec.params.insert(spec.params.end(), shared.begin(), shared.end());
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<DeltaNetImpl>(DeltaNetOptions(context.d_model)
                                              .expand_k(kwargs.at("expand_k").get<double>())
                                              .expand_v(kwargs.at("expand_v").get<double>())
                                              .num_heads(kwargs.at("num_heads").get<int64_t>())
                                              .use_beta(kwargs.at("use_beta").get<bool>())
                                              .use_gate(kwargs.at("use_gate").get<bool>())
                                              .use_short_conv(kwargs.at("use_short_conv").get<bool>())
                                              .conv_size(kwargs.at("conv_size").get<int64_t>())
                                              .conv_bias(kwargs.at("conv_bias").get<bool>())
                                              .allow_neg_eigval(kwargs.at("allow_neg_eigval").get<bool>())
                                              .qk_activation(kwargs.at("qk_activation").get<std::string>())
                                              .qk_norm(kwargs.at("qk_norm").get<std::string>())
                                              .norm_eps(kwargs.at("norm_eps").get<double>()));
  };
  return spec;
}

}  // namespace zoolab
