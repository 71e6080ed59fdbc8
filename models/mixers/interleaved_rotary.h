#pragma once

// Rotary position embedding on interleaved channel pairs, as lucidrains' rotary-embedding-torch
// (RotaryEmbedding with its defaults: freqs_for "lang", theta 10000, no xpos, no interpolation) computes it
// and Zoology's zoology/mixers/deepseek_nsa.py uses it: channels (2m, 2m + 1) of a head are rotated by the
// angle p·f_m at position p, f_m = 10000^(-2m/d). This pairs neighbouring channels, unlike the
// half-split rotation (channel m with m + d/2) of GPT-NeoX-style rotary.
//
// The frequencies are a parameter named "freqs" that does not train (requires_grad false), as in the
// reference, so that state dicts carry them under the reference's name.

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

namespace zoolab {

class InterleavedRotaryImpl : public torch::nn::Module {
 public:
  // head_dim must be even (validated by the owner, which can name its own option).
  explicit InterleavedRotaryImpl(int64_t head_dim);

  // x: (..., L, head_dim), rotated by positions 0..L-1 -> (..., L, head_dim).
  torch::Tensor forward(const torch::Tensor& x);

  torch::Tensor freqs;  // (head_dim / 2): f_m = 10000^(-2m / head_dim)
};
TORCH_MODULE(InterleavedRotary);

}  // namespace zoolab
