#pragma once

// Gated causal depthwise convolutions: the convolution of kernels/causal_depthwise_conv.h with the
// elementwise products around it in BaseConv and Hyena fused into one pass per example, forward and
// backward (docs/reference.md#base_conv, #hyena; Zoology's mixers/base_conv.py, hyena.py):
//   BaseConv: z = g ⊙ (bias + taps ⋆ u) + u                 (g = W u + b, the projection)
//   Hyena:    z = x2 ⊙ (taps ⋆ (x1 ⊙ v))                    ([x1 | x2 | v], the short filter's output)
// with ⋆ the causal depthwise convolution along L, taps by lag. Unfused, each product is its own pass
// over a (B, L, D) tensor forward and two more backward, and Hyena's three streams come back
// through a concatenation; here Hyena's short filter runs in the same pass too, its streams and their
// gradient in a per-example scratch (bench_kernels: hyena_gated_conv).

#include <torch/types.h>

namespace zoolab::kernels {

// u, g: (B, L, C); taps: (C, K); bias: (C) or undefined. Returns (B, L, C): g ⊙ (bias + taps ⋆ u),
// plus u when `residual`. Differentiable with respect to u, g, taps and bias. float and double CPU
// tensors take the fused loops; others take the reference.
torch::Tensor gated_causal_conv(const torch::Tensor& u, const torch::Tensor& g, const torch::Tensor& taps,
                                const torch::Tensor& bias, bool residual);
torch::Tensor gated_causal_conv_reference(const torch::Tensor& u, const torch::Tensor& g,
                                          const torch::Tensor& taps, const torch::Tensor& bias,
                                          bool residual);

// Hyena from its input projection on: x (B, L, 3C) through the short filter (short_taps (3C, S) by lag,
// short_bias (3C)) into the streams s = [x1 | x2 | v] side by side, then x2 ⊙ (taps ⋆ (x1 ⊙ v)) with
// taps (C, K). Returns (B, L, C). The streams are formed one example at a time in cache and never
// stored (the backward forms them again), which saves a pass over a (B, L, 3C) tensor each way and
// the streams' memory. Differentiable with respect to x, short_taps, short_bias and taps.
torch::Tensor hyena_gated_conv(const torch::Tensor& x, const torch::Tensor& short_taps,
                               const torch::Tensor& short_bias, const torch::Tensor& taps);
torch::Tensor hyena_gated_conv_reference(const torch::Tensor& x, const torch::Tensor& short_taps,
                                         const torch::Tensor& short_bias, const torch::Tensor& taps);

}  // namespace zoolab::kernels
