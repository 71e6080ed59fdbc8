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
// same bits for the same `threads` (column blocks are split over at::parallel_for's threads, each summing
// its own partial EW, added in thread order).

#include <cstdint>

namespace zoolab::kernels {

// Whether dual_product runs on this CPU (AVX-512); callers use two BLAS products otherwise.
bool dual_product_available();

struct DualProductArgs {
  const float* e = nullptr;  // (rows, cols), row stride e_stride
  int64_t e_stride = 0;
  const float* w = nullptr;  // (cols, d), contiguous
  const float* h = nullptr;  // (rows, d), contiguous
  int64_t rows = 0, cols = 0, d = 0;
  float* ew = nullptr;   // (rows, d) out, contiguous; overwritten
  float* eth = nullptr;  // (cols, d) out, contiguous; overwritten
};

// Computes both products, the column blocks split over the ATen threads (serially inside a parallel
// region). Throws std::logic_error where !dual_product_available().
void dual_product(const DualProductArgs& args);

}  // namespace zoolab::kernels
