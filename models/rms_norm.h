#pragma once

// RMS normalisations over the last dimension, without bias, weight initialised to ones:
//   RMSNorm:            x / sqrt(mean(x²) + eps) · weight
//                       (mamba_ssm's RMSNorm and flash-linear-attention's RMSNorm, fla/modules/layernorm.py)
//   SwishGatedRMSNorm:  RMSNorm(x) · g · σ(g)
//                       (flash-linear-attention's FusedRMSNormSwishGate, fla/modules/fused_norm_gate.py:
//                       the output gate of DeltaNet, Gated DeltaNet and GLA, applied per head)
// The reference kernels compute in fp32 whatever the input dtype; these compute in the input's dtype,
// which is fp32 in training. Parameter name: "weight", as in both references.

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace zoolab {

class RMSNormImpl : public torch::nn::Module {
 public:
  RMSNormImpl(int64_t dim, double eps);
  // x: (..., D) -> (..., D)
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor weight;  // (D,)

 private:
  double m_eps;
};
TORCH_MODULE(RMSNorm);

class SwishGatedRMSNormImpl : public torch::nn::Module {
 public:
  SwishGatedRMSNormImpl(int64_t dim, double eps);
  // x, gate: (..., D) -> (..., D)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& gate);

  torch::Tensor weight;  // (D,)

 private:
  double m_eps;
};
TORCH_MODULE(SwishGatedRMSNorm);

}  // namespace zoolab
