#pragma once

// Both backward products of a linear map from one read of the output's gradient: for E (rows, cols),
// W (cols, D) and H (rows, D),
//
//   EW  = E · W    (rows, D)   the input's gradient,  d(H Wᵀ)/dH applied to E
//   EtH = Eᵀ · H   (cols, D)   the weight's gradient, d(H Wᵀ)/dW applied to E
//
// Why: E is the big operand of both. In the training head it is the stored exps of a shard (1,024 labelled
// positions × 8,192 vocabulary entries, 32 MiB), and BLAS reads and repacks it once for each product; in a
// projection's backward it is the (B·L, out) gradient. Here E is walked once, tile by tile (kRowBlock ×
// kColBlock, a few hundred KiB that stay in L2), and each tile feeds both products while it is in cache.
// The products run in AVX-512 register tiles of 6 rows × 64 columns that sum over K with one FMA per
// register and step (the register-blocked micro-kernel of Goto & van de Geijn, "Anatomy of
// high-performance matrix multiplication", 2008); EtH's tile reads E's columns as its rows, so neither
// operand is transposed or packed.
//
// Sums run over K in order within a tile and tile by tile, so values are BLAS's to float rounding, and the
// same bits for the same number of threads: a wide E's column blocks, or a narrow E's row blocks, are split
// over at::parallel_for's threads, each summing its own share of the other product, added in thread order.

#include <utility>

#include <torch/types.h>

namespace zoolab::kernels {

// Whether dual_product runs on this CPU (AVX-512); callers use two BLAS products otherwise.
bool dual_product_available();

// e: (rows, cols) float32 on the CPU, rows contiguous (any row stride); w: (cols, D) and h: (rows, D)
// contiguous float32. Returns {E·W (rows, D), Eᵀ·H (cols, D)}, computed over the ATen threads (on the
// calling thread inside a parallel region). Throws std::logic_error where !dual_product_available() and
// c10::Error for other shapes or types.
std::pair<torch::Tensor, torch::Tensor> dual_product(const torch::Tensor& e, const torch::Tensor& w,
                                                     const torch::Tensor& h);

}  // namespace zoolab::kernels
