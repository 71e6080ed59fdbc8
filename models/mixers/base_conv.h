#pragma once

// BaseConv (docs/reference.md#base_conv; Zoology's mixers/base_conv.py): y = conv(u) ⊙ (W u + b) + u,
// with SiLU on both factors when use_act. The convolution is short (kernel_size k) or long
// (kernel_size -1: implicit MLP filter, or an explicit one), chosen per layer when kernel_size is a list.

#include <variant>
#include <vector>

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/mixers/convolution.h"
#include "models/registry.h"

namespace zoolab {

struct BaseConvOptions {
  BaseConvOptions(int64_t d_model, int64_t l_max) : d_model_(d_model), l_max_(l_max) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, l_max);
  // This layer's kernel size (already picked from a per-layer list); -1 selects a long convolution.
  TORCH_ARG(int64_t, kernel_size) = 3;
  TORCH_ARG(bool, implicit_long_conv) = true;
  TORCH_ARG(bool, use_act) = false;
};

class BaseConvImpl : public MixerImpl {
 public:
  explicit BaseConvImpl(const BaseConvOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Where the convolution has causal taps (models/mixers/convolution.h): the projection, gate and skip at
  // the rows alone, the convolution read at them (kernels/causal_conv_rows.h). Elsewhere the whole forward.
  torch::Tensor forward_at(const torch::Tensor& u, const torch::Tensor& positions) override;
  int64_t state_size(int64_t seq_len) const override { return conv->state_size(seq_len); }
  bool row_shardable() const override { return true; }

  torch::nn::Linear projection{nullptr};
  std::shared_ptr<ConvolutionImpl> conv;

 private:
  BaseConvOptions m_options;
};
TORCH_MODULE(BaseConv);

MixerSpec base_conv_spec();

}  // namespace zoolab
