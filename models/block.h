#pragma once

// A residual block of the backbone (docs/reference.md#backbone). Zoology's blocks all carry the
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
  // {hidden, residual} at some positions only, (N, D) each: those rows of forward's outputs, positions
  // (N,) int64 flat indices b·L + i, strictly increasing. The backbone asks it of its last block
  // (models/language_model.h); this default runs the whole block.
  virtual std::pair<torch::Tensor, torch::Tensor> forward_at(const torch::Tensor& hidden,
                                                             const torch::Tensor& residual,
                                                             const torch::Tensor& positions) {
    const auto [out, stream] = forward(hidden, residual);  // (B, L, D) each
    return {out.reshape({-1, out.size(-1)}).index_select(0, positions),
            stream.reshape({-1, stream.size(-1)}).index_select(0, positions)};
  }
  // The block's sequence mixer: its state size, auxiliary loss and pattern capture are the model's.
  virtual MixerPtr sequence_mixer_module() const = 0;
  // Whether a training step may run the block on row shards in parallel threads (MixerImpl::row_shardable);
  // never while it captures, since capturing writes members.
  virtual bool row_shardable() const { return false; }

  // The inspector's hook (engine/train/pattern_capture.h): while on, forward keeps the input its
  // sequence mixer saw, detached, (B, L, D), so the mixer's Jacobian can be taken on it alone. Off by
  // default: training pays one branch.
  void set_capture_mixer_input(bool on) {
    m_capture_mixer_input = on;
    m_mixer_input = torch::Tensor();
  }
  const torch::Tensor& captured_mixer_input() const { return m_mixer_input; }
  bool capturing_mixer_input() const { return m_capture_mixer_input; }

 protected:
  // Implementations pass their sequence mixer's input through this.
  const torch::Tensor& mixer_input(const torch::Tensor& x) {
    if (m_capture_mixer_input) {
      m_mixer_input = x.detach();
    }
    return x;
  }

 private:
  bool m_capture_mixer_input = false;
  torch::Tensor m_mixer_input;
};

}  // namespace zoolab
