#pragma once

// flash-linear-attention's ShortConvolution (fla/modules/conv/short_conv.py), the short causal
// convolution that DeltaNet, Gated DeltaNet and GLA put on their query, key and value projections:
//   y_t = act(Σ_{j<K} weight[c, K-1-j] · x_{t-j} + bias[c])   per channel c (depthwise), x_{<0} = 0,
// act SiLU or none. The module is itself the Conv1d in the reference, so its state-dict names are
// "weight" (D, 1, K) and, with bias, "bias" (D); PyTorch's Conv1d initialisation, U(±1/√K).
// Not BaseConv's short convolution (models/mixers/convolution.h): that one wraps its Conv1d as "conv",
// always has a bias and no activation.

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace zoolab {

struct CausalShortConvOptions {
  CausalShortConvOptions(int64_t channels, int64_t kernel_size)
      : channels_(channels), kernel_size_(kernel_size) {}
  TORCH_ARG(int64_t, channels);
  TORCH_ARG(int64_t, kernel_size);
  TORCH_ARG(bool, bias) = false;
  TORCH_ARG(bool, silu) = true;
};

class CausalShortConvImpl : public torch::nn::Module {
 public:
  explicit CausalShortConvImpl(const CausalShortConvOptions& options);
  // x: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& x);
  // Taps by lag, (D, K): column j multiplies x_{t-j} (for the inspector).
  torch::Tensor taps() const { return weight.squeeze(1).flip({1}); }

  torch::Tensor weight;  // (D, 1, K)
  torch::Tensor bias;    // (D,), undefined without bias

 private:
  CausalShortConvOptions m_options;
};
TORCH_MODULE(CausalShortConv);

}  // namespace zoolab
