#pragma once

// Sliding-window softmax attention, Zoology's `SlidingAttn` (mixers/slide_attn.py; one of the Based-paper
// mixers, docs/reference.md#sliding_window). One head over the whole width: a fused Wqkv projection split
// into thirds, scores q kᵀ/√d, an additive mask of -10000 everywhere except keys j in [i - block_size, i]
// (block_size + 1 keys per query), dropout on the probabilities while training, and out_proj. Parameter names
// match Zoology's (Wqkv, out_proj; the inner attention has none).

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

struct SlidingAttnOptions {
  explicit SlidingAttnOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  // Keys before the query that stay visible; Zoology's default is 256.
  TORCH_ARG(int64_t, block_size) = 256;
  TORCH_ARG(bool, bias) = true;  // Wqkv's bias only; out_proj always has one (as in Zoology)
  TORCH_ARG(double, dropout) = 0.0;
};

class SlidingAttnImpl : public MixerImpl {
 public:
  explicit SlidingAttnImpl(const SlidingAttnOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Keys and values of the window: 2·block_size·d, independent of the length (Zoology's
  // SlidingAttn.state_size, which ignores sequence_length even when it is shorter than the window).
  int64_t state_size(int64_t /*seq_len*/) const override {
    return 2 * m_options.block_size() * m_options.d_model();
  }

  const SlidingAttnOptions& options() const { return m_options; }

  torch::nn::Linear Wqkv{nullptr};
  torch::nn::Linear out_proj{nullptr};

 private:
  // (L, L): 0 for i - block_size <= j <= i, -10000 elsewhere; cached per length, device and dtype.
  const torch::Tensor& window_mask(int64_t seq_len, const torch::TensorOptions& options);

  SlidingAttnOptions m_options;
  torch::Tensor m_mask;
};
TORCH_MODULE(SlidingAttn);

MixerSpec sliding_window_spec();

}  // namespace zoolab
