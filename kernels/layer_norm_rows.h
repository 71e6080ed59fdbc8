#pragma once

// Layer normalisation over the last dimension (Ba, Kiros & Hinton, "Layer Normalization", 2016), as
// torch::layer_norm computes it: y = (x − mean) · rstd · weight + bias with the biased variance and
// rstd = 1 / sqrt(var + eps), and its gradients
//   dx = rstd · (g − mean(g) − x̂ · mean(g ⊙ x̂)),  g = dy ⊙ weight,  x̂ = (x − mean) · rstd,
//   dweight = Σ_rows dy ⊙ x̂,  dbias = Σ_rows dy.
// ATen 1.13's CPU kernel spends about 90 ns a row on the d_model = 64 rows of the MQAR cells (one thread,
// 4,096 rows: 370 µs, about as long as Hyena's in_proj product on those rows); here each row is two passes
// of 16-lane sums and one of outputs, compiled for the widest vector instructions the CPU has
// (bench_kernels: layer_norm_rows).
//
// A row's outputs depend on that row alone, whatever rows it is computed with (row shards give the
// whole batch's bits). The weight and bias gradients are summed over a fixed split of the rows into one
// part a thread, added in part order: the same bits for the same thread count. Values agree with ATen's
// to float rounding, not bit for bit (ATen takes the moments by Welford's update).

#include <torch/types.h>

namespace zoolab::kernels {

// x: (..., D); weight, bias: (D). Returns x's shape. Differentiable with respect to all three. float and
// double CPU tensors take the fused loops; others, or an undefined weight or bias, torch::layer_norm.
torch::Tensor layer_norm_rows(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                              double eps);
torch::Tensor layer_norm_rows_reference(const torch::Tensor& x, const torch::Tensor& weight,
                                        const torch::Tensor& bias, double eps);

}  // namespace zoolab::kernels
