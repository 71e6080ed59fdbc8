#pragma once

// A residual block of the backbone (reference/zoology-port.md §2.2). Zoology's blocks all carry the
// residual stream separately from the hidden states: forward(hidden, residual) -> (hidden, residual),
// with residual undefined in layer 0. The backbone chains them and adds the last hidden states to
// the residual before ln_f. Implementations: TransformerBlock (models/language_model.h) and
// MambaBlock (models/mamba_block.h), chosen by model.block_type.

#include <utility>

#include <torch/nn/module.h>
#include <torch/types.h>

#include "models/mixer.h"

namespace zoolab {

class BlockImpl : public torch::nn::Module {
 public:
  // hidden, residual: (B, L, D); residual is undefined in layer 0. Returns {hidden, residual}.
  virtual std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& hidden,
                                                          const torch::Tensor& residual) = 0;
  // The block's sequence mixer: its state size, auxiliary loss and pattern capture are the model's.
  virtual MixerPtr sequence_mixer_module() const = 0;
};

}  // namespace zoolab
