#pragma once

// The low-rank projection of RWKV-6/7 (flash-linear-attention's LoRA, fla/layers/rwkv6.py):
//   y = W₂ · act(W₁ · x) (+ b₂),   W₁: (low_rank_dim, input_dim) without bias, W₂: (output_dim,
//   low_rank_dim),
// act one of tanh, sigmoid, relu or none. Parameter names follow fla's nn.Sequential: lora.0.weight,
// lora.2.weight, lora.2.bias (lora.1 is the parameterless activation). Initialisation as fla's: W₁ zero,
// W₂ orthogonal with gain 0.1·max(1, sqrt(low_rank_dim / output_dim)), b₂ zero.

#include <string>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

namespace zoolab {

enum class LoRAActivation { None, Tanh, Sigmoid, Relu };

class LoRAImpl : public torch::nn::Module {
 public:
  LoRAImpl(int64_t input_dim, int64_t output_dim, int64_t low_rank_dim, bool bias, LoRAActivation activation);
  // x: (..., input_dim) -> (..., output_dim)
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Sequential lora{nullptr};
};
TORCH_MODULE(LoRA);

}  // namespace zoolab
