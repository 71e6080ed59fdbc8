#pragma once

// A causal depthwise convolution (kernels/causal_depthwise_conv.h) read at a few positions only: the
// last block of a gated-convolution model is read by the loss at its labelled positions alone
// (models/language_model.h, hidden_at), so its long convolution is needed there and nowhere else. Each
// output row costs (its position + 1) × C instead of the whole sequence's L × C per row.

#include <cstdint>

#include <torch/types.h>

namespace zoolab::kernels {

// x: (B, L, C); taps: (C, K), by lag; positions: (N,) int64, flat indices b·L + i, strictly increasing.
// Returns (N, C): row r is row positions[r] of causal_depthwise_conv(x, taps) (no bias), that is
// Σ_{k < min(K, i + 1)} taps[c, k] · x[b, i − k, c]. Differentiable with respect to x and taps. float and
// double CPU tensors take the fused loops; others the reference.
torch::Tensor causal_conv_rows(const torch::Tensor& x, const torch::Tensor& taps,
                               const torch::Tensor& positions);

// The plain-torch reference: the whole convolution, then its rows.
torch::Tensor causal_conv_rows_reference(const torch::Tensor& x, const torch::Tensor& taps,
                                         const torch::Tensor& positions);

}  // namespace zoolab::kernels
