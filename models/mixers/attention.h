#pragma once

// Multi-head softmax attention, Zoology's `MHA` (docs/reference.md#attention): a fused Wqkv
// projection laid out as (three h d), additive causal mask of -10000 above the diagonal, dropout on
// the attention probabilities while training, and out_proj. Parameter names match Zoology's.

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

struct MHAOptions {
  explicit MHAOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, num_heads) = 1;
  TORCH_ARG(bool, bias) = true;
  TORCH_ARG(double, dropout) = 0.0;
};

class MHAImpl : public MixerImpl {
 public:
  explicit MHAImpl(const MHAOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // On the fused core: keys and values at every position, queries and everything after them at the rows
  // alone (kernels/attention_rows.h). Elsewhere, and while capturing, the whole forward.
  torch::Tensor forward_at(const torch::Tensor& u, const torch::Tensor& positions) override;
  // Keys and values of every position: 2·d·L (Zoology's MHA.state_size).
  int64_t state_size(int64_t seq_len) const override { return 2 * m_options.d_model() * seq_len; }
  // On the fused core only: the plain path caches its mask in a member.
  bool row_shardable() const override;

  const MHAOptions& options() const { return m_options; }

  torch::nn::Linear Wqkv{nullptr};
  torch::nn::Linear out_proj{nullptr};

 private:
  // (L, L): 0 on and below the diagonal, -10000 above; cached per length and dtype.
  const torch::Tensor& causal_mask(int64_t seq_len, const torch::TensorOptions& options);

  MHAOptions m_options;
  torch::Tensor m_mask;
};
TORCH_MODULE(MHA);

// Softmax attention shared by the attention mixers: softmax(q kᵀ · scale + mask) v, with dropout on the
// probabilities while training. q, k, v: (N, L, hd) (strided views are fine); mask: (L, L) additive.
// Returns (N, L, hd). When `probabilities` is given it receives the softmax before dropout (N, L, L).
torch::Tensor masked_softmax_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                       const torch::Tensor& mask, double scale, double dropout, bool training,
                                       torch::Tensor* probabilities = nullptr);

MixerSpec attention_spec();

}  // namespace zoolab
