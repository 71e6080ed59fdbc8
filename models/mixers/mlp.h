#pragma once

// Zoology's MLP state mixer (mixers/mlp.py): fc2(gelu(fc1 x)) with hidden width d·hidden_mult.

#include <torch/nn/modules/linear.h>

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

class MLPImpl : public MixerImpl {
 public:
  MLPImpl(int64_t d_model, int64_t hidden_mult);
  // x: (..., D) -> (..., D)
  torch::Tensor forward(const torch::Tensor& x) override;
  bool row_shardable() const override { return true; }

  torch::nn::Linear fc1{nullptr};
  torch::nn::Linear fc2{nullptr};
};

MixerSpec mlp_spec();

}  // namespace zoolab
