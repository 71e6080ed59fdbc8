#include "models/mixers/based.h"

#include <algorithm>
#include <stdexcept>

#include <torch/torch.h>

#include "kernels/causal_linear_attention.h"
#include "models/mixers/option_error.h"

namespace zoolab {

BasedImpl::BasedImpl(const BasedOptions& options) : m_options(options) {
  const int64_t d = options.d_model(), f = options.feature_dim();
  const int64_t heads = options.num_heads(), kv_heads = options.num_key_value_heads();
  if (f <= 0) {
    refuse_option("based", "feature_dim", std::to_string(f), "must be positive");
  }
  if (kv_heads <= 0 || kv_heads > d) {
    refuse_option("based", "num_key_value_heads", std::to_string(kv_heads),
                  "must be in [1, d_model] (d_model " + std::to_string(d) + ")");
  }
  // Without rotary embeddings the reference views proj_k (num_heads·f outputs) as kv_heads heads of
  // f, so any other combination fails there; reject it here with the values named.
  if (heads != kv_heads) {
    refuse_option(
        "based", "num_heads", std::to_string(heads),
        "must equal num_key_value_heads (" + std::to_string(kv_heads) + ") without rotary embeddings");
  }
  if (options.train_view() != "linear" && options.train_view() != "quadratic") {
    refuse_option("based", "train_view", "\"" + options.train_view() + "\"",
                  "is not one of: linear, quadratic");
  }
  if (options.eps() < 0.0) {
    refuse_option("based", "eps", std::to_string(options.eps()), "must be non-negative");
  }
  const auto& names = feature_map_names();
  if (std::find(names.begin(), names.end(), options.feature_name()) == names.end()) {
    refuse_option("based", "feature_name", "\"" + options.feature_name() + "\"",
                  "is not a known feature map");
  }
  // Floor division as in the reference: d need not be a multiple of the kv heads (v is then
  // narrower than d and proj_o maps it back up).
  m_head_dim = d / kv_heads;
  // Registration order follows the reference's state dict.
  feature_map =
      register_module("feature_map", make_feature_map(options.feature_name(), FeatureMapOptions(f)));
  auto no_bias = [](int64_t in, int64_t out) {
    return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
  };
  proj_q = register_module("proj_q", no_bias(d, f * heads));
  proj_k = register_module("proj_k", no_bias(d, f * heads));
  proj_v = register_module("proj_v", no_bias(d, kv_heads * m_head_dim));
  proj_o = register_module("proj_o", no_bias(heads * m_head_dim, d));
}

int64_t BasedImpl::state_size(int64_t /*seq_len*/) const {
  const int64_t expanded = feature_map->expanded_size(), kv_heads = m_options.num_key_value_heads();
  return kv_heads * m_head_dim * expanded + kv_heads * expanded;
}

torch::Tensor BasedImpl::linear_view(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v) const {
  const double eps = m_options.eps();
  if (!m_options.causal()) {
    // Every position sees the whole sequence: one sum of φ(k) vᵀ over L.
    auto kv = torch::matmul(k.transpose(-2, -1), v);                   // (B, H, E, hd)
    auto normaliser = (q * k.sum(2, /*keepdim=*/true)).sum(-1, true);  // (B, H, L, 1)
    return torch::matmul(q, kv) / (normaliser + eps);                  // (B, H, L, hd)
  }
  // Running sums of the outer products φ(k_j) v_jᵀ over j ≤ i, read out by φ(q_i). The reference's
  // cumsum form materialises that state at every position (O(B·H·L·hd·E) memory); the kernel keeps
  // one running (E, hd) state per (batch, head) and computes the same numbers, normaliser included.
  return kernels::causal_linear_attention(q, k, v, eps);  // (B, H, L, hd)
}

torch::Tensor BasedImpl::quadratic_view(const torch::Tensor& q, const torch::Tensor& k,
                                        const torch::Tensor& v) const {
  // The reference (docs/reference.md#based) always applies the lower-triangular mask here, whatever `causal`
  // says.
  const int64_t len = q.size(2);
  auto mask = torch::ones({len, len}, q.options()).tril();        // (L, L)
  auto scores = torch::matmul(q, k.transpose(-2, -1)) * mask;     // (B, H, L, L)
  auto out = torch::matmul(scores, v);                            // (B, H, L, hd)
  auto normaliser = (q * k.cumsum(2)).sum(-1, /*keepdim=*/true);  // (B, H, L, 1)
  return out * (1.0 / (normaliser + m_options.eps()));
}

torch::Tensor BasedImpl::forward(const torch::Tensor& u) {
  const int64_t batch = u.size(0), len = u.size(1);
  const int64_t heads = m_options.num_heads(), kv_heads = m_options.num_key_value_heads();
  const int64_t f = m_options.feature_dim();
  // Projections split into heads: (B, L, H·f) -> (B, H, L, f); v likewise with hd.
  auto q = proj_q(u).view({batch, len, heads, f}).transpose(1, 2);
  auto k = proj_k(u).view({batch, len, kv_heads, f}).transpose(1, 2);
  auto v = proj_v(u).view({batch, len, kv_heads, m_head_dim}).transpose(1, 2);
  q = feature_map->forward(q);  // (B, H, L, E)
  k = feature_map->forward(k);  // (B, H, L, E)
  if (capturing()) {
    // The mixing weights both views compute implicitly: φ(q_i)·φ(k_j) / Σ_{j'≤i} φ(q_i)·φ(k_j').
    auto scores = torch::matmul(q, k.transpose(-2, -1));  // (B, H, L, L)
    if (m_options.causal() || m_options.train_view() == "quadratic") {
      scores = scores.tril();
    }
    // Without eps: a row whose features all vanish (relu maps) shows zeros, not eps-sized noise.
    const auto sums = scores.sum(-1, /*keepdim=*/true);
    capture("attention", scores / torch::where(sums.eq(0), torch::ones_like(sums), sums));
  }
  auto y =
      m_options.train_view() == "linear" ? linear_view(q, k, v) : quadratic_view(q, k, v);  // (B, H, L, hd)
  y = y.transpose(1, 2).reshape({batch, len, -1});  // (B, L, H·hd), channels "(h d)"
  return proj_o(y);                                 // (B, L, D)
}

MixerSpec based_spec() {
  MixerSpec spec;
  spec.name = "based";
  spec.kind = MixerKind::Sequence;
  spec.summary = "Based linear attention with a feature map (Zoology Based; Taylor exp by default)";
  const BasedOptions defaults(1);
  spec.params = {
      ParamSpec::integer("l_max")
          .defaults_to(defaults.l_max())
          .at_least(1)
          .at_most(kMaxLengthKwarg)
          .described("Longest sequence; unused (only the reference's rotary path reads it)"),
      ParamSpec::integer("feature_dim")
          .defaults_to(defaults.feature_dim())
          .at_least(1)
          .at_most(kMaxFeatureKwarg)
          .described("Query/key width per head before the feature map"),
      ParamSpec::integer("num_key_value_heads")
          .defaults_to(defaults.num_key_value_heads())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Key/value heads; head_dim = floor(d_model / this)"),
      ParamSpec::integer("num_heads")
          .defaults_to(defaults.num_heads())
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Query heads; must equal num_key_value_heads (no rotary/grouped path)"),
      ParamSpec::string("feature_name")
          .defaults_to(defaults.feature_name())
          .one_of(feature_map_names())
          .described("Feature map φ applied to queries and keys"),
      ParamSpec::number("eps").defaults_to(defaults.eps()).at_least(0).described("Added to the normaliser"),
      ParamSpec::boolean("causal")
          .defaults_to(defaults.causal())
          .described("Causal running sums (linear view); false breaks the mixer contract, quadratic view is "
                     "always causal"),
      ParamSpec::string("train_view")
          .defaults_to(defaults.train_view())
          .one_of({"linear", "quadratic"})
          .described("linear: running sums over positions; quadratic: masked L×L scores (same outputs)"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<BasedImpl>(
        BasedOptions(context.d_model)
            .l_max(kwargs.at("l_max").get<int64_t>())
            .feature_dim(kwargs.at("feature_dim").get<int64_t>())
            .num_key_value_heads(kwargs.at("num_key_value_heads").get<int64_t>())
            .num_heads(kwargs.at("num_heads").get<int64_t>())
            .feature_name(kwargs.at("feature_name").get<std::string>())
            .eps(kwargs.at("eps").get<double>())
            .causal(kwargs.at("causal").get<bool>())
            .train_view(kwargs.at("train_view").get<std::string>()));
  };
  return spec;
}

}  // namespace zoolab
