#pragma once

// Causal depthwise convolution over the sequence axis of a (B, L, C) tensor, the operation behind
// BaseConv's short and long convolutions and Hyena's short filter and long convolution
// (docs/reference.md#base_conv, #hyena; Zoology's mixers/convolution.py, hyena.py):
//   y[b, t, c] = bias[c] + Σ_{j <= min(t, K-1)} taps[c, j] · x[b, t - j, c]
// with taps by lag (taps[:, 0] multiplies the current position). A short Conv1d padded by K-1 and
// cut to its first L outputs is this with taps = weight.flip(-1); a causal long convolution is this
// with K = L; a skip term s·x is this with s added to tap 0.
//
// Why a kernel: the models hold activations as (B, L, D). LibTorch's route (transpose to (B, D, L),
// Conv1d with padding, slice, transpose back; or a batched Toeplitz product) copies the activations
// several times per layer and, for Conv1d, runs mkldnn's grouped convolution, slow for K = 3 on CPU.
// This loops over the rows of one example at a time (a few KiB, cache-resident), vectorised over
// channels, in the model's own layout, forward and backward (bench_kernels: causal_depthwise_conv).

#include <torch/types.h>

namespace zoolab::kernels {

// x: (B, L, C); taps: (C, K), K >= 1 (taps past L - 1 never reach an output: their gradient is 0);
// bias: (C) or undefined. Returns y: (B, L, C), differentiable with respect to all three.
// float and double CPU tensors take the fused loops; other devices and dtypes take the reference.
torch::Tensor causal_depthwise_conv(const torch::Tensor& x, const torch::Tensor& taps,
                                    const torch::Tensor& bias = {});

// The same sum in plain torch ops, one shifted product per tap, differentiated by autograd.
torch::Tensor causal_depthwise_conv_reference(const torch::Tensor& x, const torch::Tensor& taps,
                                              const torch::Tensor& bias = {});

}  // namespace zoolab::kernels
