#include "models/mixers/attention.h"

#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

#include "kernels/attention_core.h"
#include "kernels/attention_rows.h"
#include "kernels/batched_matmul.h"
#include "kernels/counter_dropout.h"
#include "models/mixers/linear_rows.h"

namespace zoolab {

MHAImpl::MHAImpl(const MHAOptions& options) : m_options(options) {
  if (options.num_heads() <= 0 || options.d_model() % options.num_heads() != 0) {
    throw std::invalid_argument("attention: num_heads must divide d_model (d_model " +
                                std::to_string(options.d_model()) + ", num_heads " +
                                std::to_string(options.num_heads()) + ")");
  }
  const int64_t d = options.d_model();
  Wqkv = register_module("Wqkv", torch::nn::Linear(torch::nn::LinearOptions(d, 3 * d).bias(options.bias())));
  out_proj = register_module("out_proj", torch::nn::Linear(d, d));
}

const torch::Tensor& MHAImpl::causal_mask(int64_t seq_len, const torch::TensorOptions& options) {
  if (!m_mask.defined() || m_mask.size(0) != seq_len || m_mask.device() != options.device() ||
      m_mask.scalar_type() != options.dtype().toScalarType()) {
    m_mask = torch::full({seq_len, seq_len}, -10000.0, options).triu(1);
  }
  return m_mask;
}

bool MHAImpl::row_shardable() const {
  return kernels::causal_attention_is_fused(Wqkv->weight);  // the weights' device and dtype are the input's
}

torch::Tensor MHAImpl::forward(const torch::Tensor& u) {
  const int64_t batch = u.size(0), seq_len = u.size(1), d = u.size(2);
  const int64_t heads = m_options.num_heads(), head_dim = d / heads;
  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));

  // CPU float tensors: the fused core (kernels/attention_core.h) on the whole projection, its
  // dropout drawn from a counter hash; capture needs the probabilities, so it keeps the graph below.
  if (!capturing() && kernels::causal_attention_is_fused(u)) {
    const bool dropping = is_training() && m_options.dropout() > 0.0;
    // The dropout's counters run over (B·H, L, L): H·L·L of them per batch row.
    const uint64_t seed = dropping ? kernels::dropout_seed_for_rows(heads * seq_len * seq_len) : 0;
    const auto context = kernels::causal_attention(linear_rows(Wqkv, u), heads, scale,
                                                   dropping ? m_options.dropout() : 0.0, seed);  // (B, L, D)
    return linear_rows(out_proj, context);
  }

  // Wqkv's output channels are laid out "(three h d)": q, k and v are its three thirds. chunk (not
  // indexing) keeps the backward pass to one concatenation instead of three zero-filled copies.
  const auto qkv = Wqkv(u).chunk(3, -1);            // 3 × (B, L, D), channels "(h d)"
  auto split_heads = [&](const torch::Tensor& x) {  // (B, L, D) -> (B·H, L, hd)
    return heads == 1
               ? x
               : x.view({batch, seq_len, heads, head_dim}).transpose(1, 2).reshape({-1, seq_len, head_dim});
  };
  const auto q = split_heads(qkv[0]), k = split_heads(qkv[1]), v = split_heads(qkv[2]);

  torch::Tensor probs;
  auto context =
      masked_softmax_attention(q, k, v, causal_mask(seq_len, u.options()), scale, m_options.dropout(),
                               is_training(), capturing() ? &probs : nullptr);  // (B·H, L, hd)
  if (capturing()) {
    capture("attention", probs.view({batch, heads, seq_len, seq_len}));
  }
  if (heads > 1) {
    context = context.view({batch, heads, seq_len, head_dim}).transpose(1, 2);
  }
  return out_proj(context.reshape({batch, seq_len, d}));  // (B, L, D), channels "(h d)"
}

torch::Tensor MHAImpl::forward_at(const torch::Tensor& u, const torch::Tensor& positions) {
  if (capturing() || !kernels::causal_attention_is_fused(u)) {
    return MixerImpl::forward_at(u, positions);
  }
  const int64_t seq_len = u.size(1), d = u.size(2), heads = m_options.num_heads();
  const double scale = 1.0 / std::sqrt(static_cast<double>(d / heads));
  const bool dropping = is_training() && m_options.dropout() > 0.0;
  // The same draw as forward's: counters over the whole (B·H, L, L) probabilities.
  const uint64_t seed = dropping ? kernels::dropout_seed_for_rows(heads * seq_len * seq_len) : 0;
  // Wqkv's rows are "(three h d)": its first third makes the queries, the rest the keys and values.
  const auto& weight = Wqkv->weight;  // (3·D, D)
  const auto bias_part = [&](int64_t first, int64_t count) {
    return Wqkv->bias.defined() ? Wqkv->bias.narrow(0, first, count) : torch::Tensor();
  };
  const auto all_rows = u.reshape({-1, d});  // (B·L, D)
  const auto q =
      affine(all_rows.index_select(0, positions), weight.narrow(0, 0, d), bias_part(0, d));  // (N, D)
  const auto kv = affine(all_rows, weight.narrow(0, d, 2 * d), bias_part(d, 2 * d));         // (B·L, 2·D)
  const auto context =
      kernels::causal_attention_rows(q, kv.view({u.size(0), seq_len, 2 * d}), positions, heads, scale,
                                     dropping ? m_options.dropout() : 0.0, seed);  // (N, D)
  return affine(context, out_proj->weight, out_proj->bias);                        // (N, D)
}

torch::Tensor masked_softmax_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                       const torch::Tensor& mask, double scale, double dropout, bool training,
                                       torch::Tensor* probabilities) {
  // kernels::batched_matmul reads the strided views (thirds of a fused projection) without copying.
  auto scores = kernels::batched_matmul(q, k.transpose(1, 2), scale) + mask;  // (N, L, L)
  auto probs = torch::softmax(scores, -1);
  if (probabilities != nullptr) {
    *probabilities = probs;
  }
  if (training && dropout > 0.0) {
    probs = torch::dropout(probs, dropout, /*train=*/true);
  }
  return kernels::batched_matmul(probs, v);  // (N, L, hd)
}

MixerSpec attention_spec() {
  MixerSpec spec;
  spec.name = "attention";
  spec.kind = MixerKind::Sequence;
  spec.summary = "Multi-head causal softmax attention (Zoology MHA)";
  spec.params = {
      ParamSpec::integer("num_heads")
          .defaults_to(1)
          .at_least(1)
          .at_most(kMaxWidthKwarg)
          .described("Attention heads; must divide d_model"),
      ParamSpec::boolean("bias").defaults_to(true).described("Bias in the fused Wqkv projection"),
      ParamSpec::number("dropout").defaults_to(0.0).at_least(0).at_most(0.999).described(
          "Dropout on attention probabilities while training"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<MHAImpl>(MHAOptions(context.d_model)
                                         .num_heads(kwargs.at("num_heads").get<int64_t>())
                                         .bias(kwargs.at("bias").get<bool>())
                                         .dropout(kwargs.at("dropout").get<double>()));
  };
  return spec;
}

}  // namespace zoolab
