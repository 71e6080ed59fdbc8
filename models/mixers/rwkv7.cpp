#include "models/mixers/rwkv7.h"

#include <cmath>
#include <string>

#include <torch/torch.h>

#include "kernels/rwkv7_recurrence.h"
#include "models/mixers/option_error.h"

namespace zoolab {

namespace {

// Zoology's default head width (zoology/mixers/rwkv7.py), taken when neither head_dim nor num_heads is set.
constexpr int64_t kRwkv7DefaultHeadDim = 64;
// Longest sequence whose "attention" capture (an L × L identity pushed through the recurrence) is taken.
constexpr int64_t kRwkv7CaptureMaxLen = 1024;

}  // namespace

Rwkv7Impl::Rwkv7Impl(const Rwkv7Options& options) : m_options(options) {
  const int64_t d = options.d_model();
  if (d < 1) {
    refuse_option("rwkv7", "d_model", std::to_string(d), "must be positive");
  }
  if (options.head_dim() && options.num_heads()) {
    refuse_option("rwkv7", "num_heads", std::to_string(*options.num_heads()),
                  "cannot be set together with head_dim " + std::to_string(*options.head_dim()) +
                      " (Zoology takes one of them): drop one");
  }
  if (options.num_heads()) {
    m_heads = *options.num_heads();
    if (m_heads < 1 || d % m_heads != 0) {
      refuse_option("rwkv7", "num_heads", std::to_string(m_heads),
                    "must be positive and divide d_model " + std::to_string(d));
    }
    m_head_dim = d / m_heads;
  } else {
    const bool given = options.head_dim().has_value();
    m_head_dim = given ? *options.head_dim() : std::min(kRwkv7DefaultHeadDim, d);
    if (m_head_dim < 1 || d % m_head_dim != 0) {
      refuse_option("rwkv7", "head_dim", std::to_string(m_head_dim),
                    std::string(given ? "" : "(the default) ") + "must be positive and divide d_model " +
                        std::to_string(d) + ": set head_dim or num_heads");
    }
    m_heads = d / m_head_dim;
  }
  const std::pair<const char*, int64_t> ranks[] = {{"decay_low_rank_dim", options.decay_low_rank_dim()},
                                                   {"gate_low_rank_dim", options.gate_low_rank_dim()},
                                                   {"a_low_rank_dim", options.a_low_rank_dim()},
                                                   {"v_low_rank_dim", options.v_low_rank_dim()}};
  for (const auto& [key, rank] : ranks) {
    if (rank < 1) {
      refuse_option("rwkv7", key, std::to_string(rank), "must be positive");
    }
  }
  if (!(options.norm_eps() > 0.0)) {
    refuse_option("rwkv7", "norm_eps", std::to_string(options.norm_eps()),
                  "must be positive (the group norm divides by sqrt(variance + head_dim · norm_eps))");
  }

  // Registration order follows Zoology's state dict. The mixing parameters start at zero there (its
  // _initialize_weights never reaches nn.Parameters), so every input starts as x_t itself.
  x_x = register_parameter("x_x", torch::zeros({6, d}));
  k_k = register_parameter("k_k", torch::zeros({d}));
  k_a = register_parameter("k_a", torch::zeros({d}));
  r_k = register_parameter("r_k", torch::zeros({m_heads, m_head_dim}));
  auto projection = [d] {
    torch::nn::Linear linear(torch::nn::LinearOptions(d, d).bias(false));
    // Zoology's _initialize_weights: Xavier-uniform with gain 2^-2.5 (inside a LanguageModel the GPT-2
    // init redraws every Linear, docs/reference.md#initialisation).
    torch::NoGradGuard no_grad;
    torch::nn::init::xavier_uniform_(linear->weight, std::pow(2.0, -2.5));
    return linear;
  };
  r_proj = register_module("r_proj", projection());
  k_proj = register_module("k_proj", projection());
  v_proj = register_module("v_proj", projection());
  o_proj = register_module("o_proj", projection());
  w_lora = register_module("w_lora", LoRA(d, d, options.decay_low_rank_dim(), true, LoRAActivation::Tanh));
  if (options.layer_idx() != 0) {
    v_lora = register_module("v_lora", LoRA(d, d, options.v_low_rank_dim(), true, LoRAActivation::None));
  }
  a_lora = register_module("a_lora", LoRA(d, d, options.a_low_rank_dim(), true, LoRAActivation::None));
  g_lora = register_module("g_lora", LoRA(d, d, options.gate_low_rank_dim(), false, LoRAActivation::Sigmoid));
  g_norm = register_module("g_norm", GroupNorm(m_heads, d, options.elementwise_affine(), /*bias=*/true,
                                               static_cast<double>(m_head_dim) * options.norm_eps()));
}

torch::Tensor Rwkv7Impl::forward(const torch::Tensor& u) {
  const int64_t batch = u.size(0), len = u.size(1), d = u.size(2);
  // Token shift (Zoology's ZeroPad2d((0, 0, 1, -1))), then the six lerps between x_t and x_{t-1}.
  const auto delta = torch::constant_pad_nd(u, {0, 0, 1, -1}) - u;  // (B, L, D)
  const auto mixed =
      (u.unsqueeze(0) + delta.unsqueeze(0) * x_x.view({6, 1, 1, d})).unbind(0);  // 6 × (B, L, D)
  const auto &xr = mixed[0], &xw = mixed[1], &xk = mixed[2], &xv = mixed[3], &xa = mixed[4], &xg = mixed[5];

  const auto r = r_proj(xr);                                    // (B, L, D)
  const auto w = -std::exp(-0.5) * torch::sigmoid(w_lora(xw));  // (B, L, D): log decay
  auto k = k_proj(xk);                                          // (B, L, D)
  const auto v = v_proj(xv);                                    // (B, L, D)
  const auto alpha = torch::sigmoid(a_lora(xa));                // (B, L, D)
  const auto g = g_lora(xg);                                    // (B, L, D)
  auto heads = [&](const torch::Tensor& t) { return t.view({batch, len, m_heads, m_head_dim}); };
  // κ̂: fla's l2_norm, x / sqrt(Σx² + 1e-6) per head (fla/modules/l2norm.py).
  const auto kk_raw = heads(k * k_k);
  const auto kk =
      (kk_raw * torch::rsqrt(kk_raw.square().sum(-1, /*keepdim=*/true) + 1e-6)).view({batch, len, d});
  k = k + k * (alpha - 1) * k_a;

  auto to_kernel = [&](const torch::Tensor& t) { return heads(t).permute({0, 2, 1, 3}); };  // (B, H, L, h)
  const auto o = kernels::rwkv7_recurrence(to_kernel(r), to_kernel(w), to_kernel(k), to_kernel(v),
                                           to_kernel(-kk), to_kernel(kk * alpha), 1.0)
                     .permute({0, 2, 1, 3})
                     .reshape({batch, len, d});  // (B, L, D)
  if (capturing()) {
    torch::NoGradGuard no_grad;
    capture("decay", to_kernel(w).exp());  // (B, H, L, h): per-step retention e^w in (0.55, 1)
    if (len <= kRwkv7CaptureMaxLen) {
      // The recurrence is linear in v: pushing the L × L identity through it gives W (B, H, L, L) with
      // o_t = Σ_s W[t, s] v_s per head.
      const auto identity = torch::eye(len, u.options()).expand({batch, m_heads, len, len});
      capture_value_weights(kernels::rwkv7_recurrence(to_kernel(r), to_kernel(w), to_kernel(k), identity,
                                                      to_kernel(-kk), to_kernel(kk * alpha), 1.0));
    }
  }
  // The group norm per head, then the current token's bonus (Σ_h r ⊙ k ⊙ r_k) v, then the output gate.
  const auto bonus = (heads(r) * heads(k) * r_k).sum(-1, /*keepdim=*/true) * heads(v);  // (B, L, H, h)
  const auto y = g_norm(o) + bonus.reshape({batch, len, d});
  return o_proj(y * g);  // (B, L, D)
}

MixerSpec rwkv7_spec() {
  MixerSpec spec;
  spec.name = "rwkv7";
  spec.kind = MixerKind::Sequence;
  spec.summary =
      "RWKV-7 time mixing: token shift, LoRA-made decays and gates, generalised delta rule (diagonal decay "
      "plus "
      "rank-1 update), group norm and output gate";
  const Rwkv7Options defaults(64, 1);
  spec.params = {
      ParamSpec::integer("l_max")
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Longest sequence; default: the data's. Accepted but unused, as in Zoology"),
      ParamSpec::integer("head_dim")
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described(
              "Width of a head (keys and values split d_model in heads); must divide d_model. Default: "
              "64, or d_model if smaller, unless num_heads is set; not both"),
      ParamSpec::integer("num_heads")
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Number of heads, d_model / num_heads wide; instead of head_dim (not both)"),
      ParamSpec::integer("decay_low_rank_dim")
          .defaults_to(defaults.decay_low_rank_dim())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Rank of the LoRA that makes the data-dependent decay w"),
      ParamSpec::integer("gate_low_rank_dim")
          .defaults_to(defaults.gate_low_rank_dim())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Rank of the LoRA that makes the output gate g"),
      ParamSpec::integer("a_low_rank_dim")
          .defaults_to(defaults.a_low_rank_dim())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Rank of the LoRA that makes the in-context learning rate a"),
      ParamSpec::integer("v_low_rank_dim")
          .defaults_to(defaults.v_low_rank_dim())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Rank of the value-residual LoRA (built for layers after the first; never used by "
                     "Zoology's model, which passes no first-layer value)"),
      ParamSpec::boolean("elementwise_affine")
          .defaults_to(defaults.elementwise_affine())
          .described("Whether the per-head group norm has a weight and bias"),
      ParamSpec::number("norm_eps")
          .defaults_to(defaults.norm_eps())
          .at_least(0)
          .at_most(1)
          .described(
              "Group-norm epsilon per channel of a head (the norm uses head_dim · norm_eps); positive"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    auto optional_int = [&kwargs](const char* key) -> std::optional<int64_t> {
      const auto& value = kwargs.at(key);
      return value.is_null() ? std::nullopt : std::optional<int64_t>(value.get<int64_t>());
    };
    return std::make_shared<Rwkv7Impl>(Rwkv7Options(context.d_model, kwargs.at("l_max").get<int64_t>())
                                           .head_dim(optional_int("head_dim"))
                                           .num_heads(optional_int("num_heads"))
                                           .decay_low_rank_dim(kwargs.at("decay_low_rank_dim").get<int64_t>())
                                           .gate_low_rank_dim(kwargs.at("gate_low_rank_dim").get<int64_t>())
                                           .a_low_rank_dim(kwargs.at("a_low_rank_dim").get<int64_t>())
                                           .v_low_rank_dim(kwargs.at("v_low_rank_dim").get<int64_t>())
                                           .elementwise_affine(kwargs.at("elementwise_affine").get<bool>())
                                           .norm_eps(kwargs.at("norm_eps").get<double>())
                                           .layer_idx(context.layer_idx));
  };
  return spec;
}

}  // namespace zoolab
