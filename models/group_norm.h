#pragma once

// Group normalisation over the last dimension, in `num_groups` contiguous groups (flash-linear-attention's
// GroupNorm, fla/modules/layernorm.py, group_norm_ref): each group of D / num_groups channels is
// normalised by its own mean and (biased) variance, then scaled and shifted per channel:
//   y = (x - mean_g) / sqrt(var_g + eps) · weight + bias.
// RWKV-7 uses one group per head. Parameter names "weight" and "bias" (present with elementwise_affine;
// bias only if asked), initialised to ones and zeros as fla's.

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace zoolab {

class GroupNormImpl : public torch::nn::Module {
 public:
  GroupNormImpl(int64_t num_groups, int64_t hidden_size, bool elementwise_affine, bool bias, double eps);
  // x: (..., D) -> (..., D)
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight;  // (D,), undefined without elementwise_affine
  torch::Tensor bias;    // (D,), undefined unless asked

 private:
  int64_t m_groups;
  double m_eps;
};
TORCH_MODULE(GroupNorm);

}  // namespace zoolab
