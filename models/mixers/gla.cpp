#include "models/mixers/gla.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

#include "kernels/gated_linear_attention.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace {

// The keys of fla's ACT2FN (fla/modules/activations.py) that take one tensor; its "bias_gelu" takes a bias
// as well and cannot serve as Zoology's gate_fn or feature_map.
const std::vector<std::string>& gla_activation_names() {
  static const std::vector<std::string> names = {"relu",  "sigmoid", "logsigmoid", "silu",
                                                 "swish", "sqrelu",  "gelu"};
  return names;
}

// fla's definitions of those activations.
torch::Tensor gla_activation(const std::string& name, const torch::Tensor& x) {
  if (name == "relu") {
    return torch::relu(x);
  }
  if (name == "sigmoid") {
    return torch::sigmoid(x);
  }
  if (name == "logsigmoid") {
    return torch::log_sigmoid(x);
  }
  if (name == "silu" || name == "swish") {
    return torch::silu(x);
  }
  if (name == "sqrelu") {
    return torch::relu(x).pow(2);
  }
  if (name == "gelu") {
    // fla's fast_gelu_impl: the tanh approximation with its constants (√(2/π) ≈ 0.79788456).
    return x * 0.5 * (1.0 + torch::tanh(0.79788456 * x * (1.0 + 0.044715 * x * x)));
  }
  throw std::invalid_argument("gla: activation \"" + name + "\" is not one of fla's ACT2FN");
}

bool gla_is_activation(const std::string& name) {
  const auto& names = gla_activation_names();
  return std::find(names.begin(), names.end(), name) != names.end();
}

// RMS normalisation over the last dimension without a weight (fla's RMSNorm with elementwise_affine=False).
torch::Tensor gla_rms_normalise(const torch::Tensor& x, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps);
}

}  // namespace

GlaImpl::GlaImpl(const GlaOptions& options) : m_options(options) {
  const int64_t d = options.d_model(), heads = options.num_heads();
  const int64_t kv_heads = options.num_kv_heads().value_or(heads);
  if (heads < 1) {
    refuse_option("gla", "num_heads", std::to_string(heads), "must be at least 1");
  }
  // Zoology's int(hidden_size * expand_k) truncates toward zero, as the cast does.
  m_key_dim = static_cast<int64_t>(static_cast<double>(d) * options.expand_k());
  m_value_dim = static_cast<int64_t>(static_cast<double>(d) * options.expand_v());
  auto dims = [&](int64_t dim, double expand) {
    return std::to_string(expand) + " (d_model " + std::to_string(d) + " gives " + std::to_string(dim) + ")";
  };
  if (m_key_dim < heads || m_key_dim % heads != 0) {
    refuse_option("gla", "expand_k", dims(m_key_dim, options.expand_k()),
                  "must give a key_dim = int(d_model · expand_k) that num_heads " + std::to_string(heads) +
                      " divides into heads of at least one channel");
  }
  if (m_value_dim < heads || m_value_dim % heads != 0) {
    refuse_option("gla", "expand_v", dims(m_value_dim, options.expand_v()),
                  "must give a value_dim = int(d_model · expand_v) that num_heads " + std::to_string(heads) +
                      " divides into heads of at least one channel");
  }
  if (kv_heads < 1 || kv_heads > heads || heads % kv_heads != 0) {
    refuse_option("gla", "num_kv_heads", std::to_string(kv_heads),
                  "must divide num_heads " + std::to_string(heads) +
                      " (each key/value head serves num_heads / num_kv_heads query heads)");
  }
  m_groups = heads / kv_heads;
  if (options.feature_map() != "none" && !gla_is_activation(options.feature_map())) {
    refuse_option("gla", "feature_map", "\"" + options.feature_map() + "\"",
                  "is not allowed; allowed: none or one of fla's ACT2FN taking one tensor");
  }
  if (!gla_is_activation(options.gate_fn())) {
    refuse_option("gla", "gate_fn", "\"" + options.gate_fn() + "\"",
                  "is not allowed; allowed: one of fla's ACT2FN taking one tensor");
  }
  if (!(options.gate_logit_normalizer() > 0)) {
    refuse_option("gla", "gate_logit_normalizer", std::to_string(options.gate_logit_normalizer()),
                  "must be positive (the log forget gate logsigmoid(x) / normalizer must stay ≤ 0)");
  }
  if (options.clamp_min() && *options.clamp_min() > 0) {
    refuse_option(
        "gla", "clamp_min", std::to_string(*options.clamp_min()),
        "must be at most 0 (a positive floor on the log forget gate makes the state grow without bound)");
  }
  if (options.conv_size() < 1 || options.gate_low_rank_dim() < 1) {
    refuse_option("gla", "conv_size/gate_low_rank_dim",
                  std::to_string(options.conv_size()) + "/" + std::to_string(options.gate_low_rank_dim()),
                  "must both be positive");
  }
  // The kernel's chunk rule (kernels/gated_linear_attention.h): below 16, or a multiple of 16.
  if (options.chunk_size() < 1 || (options.chunk_size() > 16 && options.chunk_size() % 16 != 0)) {
    refuse_option("gla", "chunk_size", std::to_string(options.chunk_size()),
                  "must be from 1 to 16 or a multiple of 16");
  }

  const int64_t key_per_group = m_key_dim / m_groups, value_per_group = m_value_dim / m_groups;
  auto linear = [](int64_t in, int64_t out, bool bias) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(bias));
  };
  // Registration order follows Zoology's module (and so its state dict).
  q_proj = register_module("q_proj", linear(d, m_key_dim, false));
  k_proj = register_module("k_proj", linear(d, key_per_group, false));
  v_proj = register_module("v_proj", linear(d, value_per_group, false));
  if (options.use_output_gate()) {
    g_proj = register_module("g_proj", linear(d, m_value_dim, false));
  }
  if (options.use_short_conv()) {
    // Zoology builds these without passing conv_bias: never a bias.
    auto conv = [&](int64_t channels) {
      return CausalShortConv(CausalShortConvOptions(channels, options.conv_size()).bias(false).silu(true));
    };
    q_conv1d = register_module("q_conv1d", conv(m_key_dim));
    k_conv1d = register_module("k_conv1d", conv(key_per_group));
    v_conv1d = register_module("v_conv1d", conv(value_per_group));
  }
  gk_proj = register_module("gk_proj",
                            torch::nn::Sequential(linear(d, options.gate_low_rank_dim(), false),
                                                  linear(options.gate_low_rank_dim(), key_per_group, true)));
  o_proj = register_module("o_proj", linear(m_value_dim, d, false));
  m_fuse_norm_and_gate = options.gate_fn() == "swish" && options.fuse_norm() && options.use_output_gate();
  if (options.elementwise_affine()) {
    if (m_fuse_norm_and_gate) {
      g_norm_swish_gate =
          register_module("g_norm_swish_gate", SwishGatedRMSNorm(head_v_dim(), options.norm_eps()));
    } else {
      g_norm = register_module("g_norm", RMSNorm(head_v_dim(), options.norm_eps()));
    }
  }
}

int64_t GlaImpl::state_size(int64_t /*seq_len*/) const {
  int64_t size = m_key_dim * head_v_dim();
  if (m_options.use_short_conv()) {
    size += (m_key_dim + (m_key_dim + m_value_dim) / m_groups) * m_options.conv_size();
  }
  return size;
}

torch::Tensor GlaImpl::norm_and_gate(const torch::Tensor& o, const torch::Tensor& g) {
  const int64_t B = o.size(0), L = o.size(1);
  const double eps = m_options.norm_eps();
  if (m_fuse_norm_and_gate) {
    const auto gate = g.view({B, L, m_options.num_heads(), head_v_dim()});  // (B, L, H, d_v)
    const auto y =
        g_norm_swish_gate ? g_norm_swish_gate(o, gate) : gla_rms_normalise(o, eps) * torch::silu(gate);
    return y.reshape({B, L, m_value_dim});
  }
  const auto normed = (g_norm ? g_norm(o) : gla_rms_normalise(o, eps)).reshape({B, L, m_value_dim});
  return g.defined() ? normed * gla_activation(m_options.gate_fn(), g) : normed;
}

torch::Tensor GlaImpl::forward(const torch::Tensor& u) {
  const int64_t B = u.size(0), L = u.size(1), heads = m_options.num_heads();
  const int64_t dk = head_k_dim(), dv = head_v_dim();
  auto q = q_proj(u);  // (B, L, key_dim)
  auto k = k_proj(u);  // (B, L, key_dim / groups)
  auto v = v_proj(u);  // (B, L, value_dim / groups)
  if (m_options.use_short_conv()) {
    q = q_conv1d(q);
    k = k_conv1d(k);
    v = v_conv1d(v);
  }
  auto gk = gk_proj->forward(u);  // (B, L, key_dim / groups)
  if (m_options.feature_map() != "none") {
    q = gla_activation(m_options.feature_map(), q);
    k = gla_activation(m_options.feature_map(), k);
  }
  // Channels "(h d)" into heads (B, H, L, d); key/value head h serves query heads h·groups .. (h+1)·groups -
  // 1, as Zoology's repeat 'b t (h d) -> b t (h g) d'.
  auto split = [&](const torch::Tensor& x, int64_t dim) {
    auto heads_first = x.view({B, L, -1, dim}).transpose(1, 2);
    return m_groups > 1 ? heads_first.repeat_interleave(m_groups, 1) : heads_first;
  };
  const auto qh = q.view({B, L, heads, dk}).transpose(1, 2);                       // (B, H, L, d_k)
  const auto kh = split(k, dk);                                                    // (B, H, L, d_k)
  const auto vh = split(v, dv);                                                    // (B, H, L, d_v)
  auto g = torch::log_sigmoid(split(gk, dk)) / m_options.gate_logit_normalizer();  // (B, H, L, d_k), ≤ 0
  if (m_options.clamp_min()) {
    g = torch::clamp_min(g, *m_options.clamp_min());
  }
  const double scale = 1.0 / std::sqrt(static_cast<double>(dk));
  const auto o =
      kernels::gated_linear_attention(qh, kh, vh, g, scale, m_options.chunk_size());  // (B, H, L, d_v)

  if (capturing()) {
    torch::NoGradGuard no_grad;
    // The recurrence is linear in v given q, k and g: with v the L × L identity, row i of its output holds
    // the weight W_ij of v_j in o_i (before the norm and gate), (B, H, L, L).
    const auto identity = torch::eye(L, vh.options()).expand({B, heads, L, L});
    capture_value_weights(kernels::gated_linear_attention(qh.detach(), kh.detach(), identity, g.detach(),
                                                          scale, m_options.chunk_size()));
    capture("decay", torch::exp(g).mean({0, 2, 3}));  // (H,): mean forget gate α per head
  }

  const auto gate = m_options.use_output_gate() ? g_proj(u) : torch::Tensor();  // (B, L, value_dim)
  return o_proj(norm_and_gate(o.transpose(1, 2), gate));                        // (B, L, D)
}

MixerSpec gla_spec() {
  MixerSpec spec;
  spec.name = "gla";
  spec.kind = MixerKind::Sequence;
  spec.summary =
      "Gated Linear Attention: linear attention with a data-dependent per-key-channel forget gate "
      "(low rank), per-head RMSNorm and swish output gate";
  const GlaOptions defaults(64);
  auto activations = gla_activation_names();
  auto feature_maps = activations;
  feature_maps.insert(feature_maps.begin(), "none");
  spec.params = {
      ParamSpec::number("expand_k")
          .defaults_to(defaults.expand_k())
          .at_least(0)
          .at_most(kMaxExpandKwarg)
          .described("Key width as a multiple of d_model: key_dim = int(d_model · expand_k)"),
      ParamSpec::number("expand_v")
          .defaults_to(defaults.expand_v())
          .at_least(0)
          .at_most(kMaxExpandKwarg)
          .described("Value width as a multiple of d_model: value_dim = int(d_model · expand_v)"),
      ParamSpec::integer("num_heads")
          .defaults_to(defaults.num_heads())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Heads; must divide key_dim and value_dim"),
      ParamSpec::integer("num_kv_heads")
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described(
              "Key/value (and forget gate) heads, each shared by num_heads / num_kv_heads query heads; "
              "default: num_heads"),
      ParamSpec::string("feature_map")
          .defaults_to(defaults.feature_map())
          .one_of(feature_maps)
          .described("Activation on queries and keys (fla's ACT2FN), or none"),
      ParamSpec::boolean("use_short_conv")
          .defaults_to(defaults.use_short_conv())
          .described("Short causal convolutions (with SiLU) on q, k and v"),
      ParamSpec::integer("conv_size")
          .defaults_to(defaults.conv_size())
          .at_least(1)
          .at_most(kMaxTapsKwarg)
          .described("Taps of the short convolutions"),
      ParamSpec::boolean("conv_bias")
          .defaults_to(defaults.conv_bias())
          .described("Accepted and unused, as in Zoology (its short convolutions never have a bias)"),
      ParamSpec::boolean("use_output_gate")
          .defaults_to(defaults.use_output_gate())
          .described("Gate the normalised output with gate_fn(g_proj(u))"),
      ParamSpec::string("gate_fn")
          .defaults_to(defaults.gate_fn())
          .one_of(activations)
          .described("Activation of the output gate (fla's ACT2FN)"),
      ParamSpec::boolean("elementwise_affine")
          .defaults_to(defaults.elementwise_affine())
          .described("A learnt weight in the per-head RMSNorm"),
      ParamSpec::number("norm_eps").defaults_to(defaults.norm_eps()).at_least(0).described("RMSNorm epsilon"),
      ParamSpec::number("gate_logit_normalizer")
          .defaults_to(defaults.gate_logit_normalizer())
          .at_least(0)
          .described("Divides logsigmoid of the forget gate logits (larger: slower forgetting); positive"),
      ParamSpec::integer("gate_low_rank_dim")
          .defaults_to(defaults.gate_low_rank_dim())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Rank of the forget gate projection gk_proj"),
      ParamSpec::number("clamp_min")
          .at_least(-1e6)
          .at_most(0)
          .described(
              "Lower bound on the log forget gate (a floor under the decay α = exp(g)); default: none"),
      ParamSpec::boolean("fuse_norm")
          .defaults_to(defaults.fuse_norm())
          .described("With the swish gate, one fused module g_norm_swish_gate instead of g_norm (same math; "
                     "changes the state-dict names)"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    GlaOptions options(context.d_model);
    options.expand_k(kwargs.at("expand_k").get<double>())
        .expand_v(kwargs.at("expand_v").get<double>())
        .num_heads(kwargs.at("num_heads").get<int64_t>())
        .feature_map(kwargs.at("feature_map").get<std::string>())
        .use_short_conv(kwargs.at("use_short_conv").get<bool>())
        .conv_size(kwargs.at("conv_size").get<int64_t>())
        .conv_bias(kwargs.at("conv_bias").get<bool>())
        .use_output_gate(kwargs.at("use_output_gate").get<bool>())
        .gate_fn(kwargs.at("gate_fn").get<std::string>())
        .elementwise_affine(kwargs.at("elementwise_affine").get<bool>())
        .norm_eps(kwargs.at("norm_eps").get<double>())
        .gate_logit_normalizer(kwargs.at("gate_logit_normalizer").get<double>())
        .gate_low_rank_dim(kwargs.at("gate_low_rank_dim").get<int64_t>())
        .fuse_norm(kwargs.at("fuse_norm").get<bool>());
    if (!kwargs.at("num_kv_heads").is_null()) {
      options.num_kv_heads(kwargs.at("num_kv_heads").get<int64_t>());
    }
    if (!kwargs.at("clamp_min").is_null()) {
      options.clamp_min(kwargs.at("clamp_min").get<double>());
    }
    return std::make_shared<GlaImpl>(options);
  };
  return spec;
}

}  // namespace zoolab
