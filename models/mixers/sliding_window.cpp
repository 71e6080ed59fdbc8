#include "models/mixers/sliding_window.h"

#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

#include "models/mixers/attention.h"

namespace zoolab {

SlidingAttnImpl::SlidingAttnImpl(const SlidingAttnOptions& options) : m_options(options) {
  if (options.block_size() < 0) {
    throw std::invalid_argument("sliding_window: block_size must be >= 0 (block_size " +
                                std::to_string(options.block_size()) + ")");
  }
  const int64_t d = options.d_model();
  Wqkv = register_module("Wqkv", torch::nn::Linear(torch::nn::LinearOptions(d, 3 * d).bias(options.bias())));
  out_proj = register_module("out_proj", torch::nn::Linear(d, d));
}

const torch::Tensor& SlidingAttnImpl::window_mask(int64_t seq_len, const torch::TensorOptions& options) {
  if (!m_mask.defined() || m_mask.size(0) != seq_len || m_mask.device() != options.device() ||
      m_mask.scalar_type() != options.dtype().toScalarType()) {
    // Zoology masks row i at columns [0, max(0, i - block_size)) and (i, L): i.e. everything but
    // i - block_size <= j <= i. The mask is additive (-10000, not -inf) as in the reference; for
    // ordinary scores exp(s - 10000) underflows to an exact 0 in float32, so masked keys add nothing.
    const auto positions = torch::arange(seq_len, torch::TensorOptions().dtype(torch::kLong));
    const auto offset = positions.unsqueeze(1) - positions.unsqueeze(0);  // (L, L): i - j
    const auto outside = offset.lt(0).logical_or(offset.gt(m_options.block_size()));
    m_mask = torch::zeros({seq_len, seq_len}, options).masked_fill(outside.to(options.device()), -10000.0);
  }
  return m_mask;
}

torch::Tensor SlidingAttnImpl::forward(const torch::Tensor& u) {
  const int64_t d = u.size(2);
  // Zoology splits Wqkv's output into thirds q | k | v and attends with a single head of width d
  // (SlidingAttn takes no num_heads). chunk keeps the backward pass to one concatenation.
  const auto qkv = Wqkv(u).chunk(3, -1);  // 3 × (B, L, D)
  const auto &q = qkv[0], &k = qkv[1], &v = qkv[2];

  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  torch::Tensor probs;  // (B, L, L)
  auto context =
      masked_softmax_attention(q, k, v, window_mask(u.size(1), u.options()), scale, m_options.dropout(),
                               is_training(), capturing() ? &probs : nullptr);  // (B, L, D)
  if (capturing()) {
    capture("attention", probs.unsqueeze(1));  // (B, 1, L, L)
  }
  return out_proj(context);  // (B, L, D)
}

MixerSpec sliding_window_spec() {
  MixerSpec spec;
  spec.name = "sliding_window";
  spec.kind = MixerKind::Sequence;
  spec.summary = "Causal softmax attention over the last block_size + 1 positions (Zoology SlidingAttn)";
  spec.params = {
      ParamSpec::integer("block_size")
          .defaults_to(256)
          .at_least(0)
          .at_most(kMaxLengthKwarg)
          .described("Earlier positions each query sees besides itself (window of block_size + 1 keys)"),
      ParamSpec::boolean("bias").defaults_to(true).described("Bias in the fused Wqkv projection"),
      ParamSpec::number("dropout").defaults_to(0.0).at_least(0).at_most(0.999).described(
          "Dropout on attention probabilities while training"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<SlidingAttnImpl>(SlidingAttnOptions(context.d_model)
                                                 .block_size(kwargs.at("block_size").get<int64_t>())
                                                 .bias(kwargs.at("bias").get<bool>())
                                                 .dropout(kwargs.at("dropout").get<double>()));
  };
  return spec;
}

}  // namespace zoolab
