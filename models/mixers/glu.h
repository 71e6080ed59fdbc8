#pragma once

// Zoology's GLU state mixer (mixers/mlp.py; docs/reference.md#state-mixers): fc3(fc1 x ⊙ gelu(fc2 x))
// with hidden width d·hidden_mult. Names match Zoology's, so the GPT-2 init rescales fc2 (the gate's
// input projection, matched by name as in Zoology's _init_weights) and leaves fc3 at std 0.02.

#include <torch/nn/modules/linear.h>

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

class GLUImpl : public MixerImpl {
 public:
  GLUImpl(int64_t d_model, int64_t hidden_mult);
  // x: (..., D) -> (..., D)
  torch::Tensor forward(const torch::Tensor& x) override;
  bool row_shardable() const override { return true; }

  torch::nn::Linear fc1{nullptr};  // value path
  torch::nn::Linear fc2{nullptr};  // gate path, through gelu
  torch::nn::Linear fc3{nullptr};  // back to d_model
};

MixerSpec glu_spec();

}  // namespace zoolab
