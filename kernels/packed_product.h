#pragma once

// y = x Wᵀ (+ b) for a weight used on many blocks of rows: the tied LM head over MQAR's vocabulary
// (V = 8192, D = 64) block by block in evaluation, and the mixers' projections (D = 64 → 64 or 192)
// without gradients (models/mixers/linear_rows.h). BLAS handles these K = 64 products less well: every
// call repacks all of W (2 MiB for the head) and first zero-fills the output (beta = 0) or copies the bias
// into it (addmm), a pass over the output that took about half as long as the product itself in Hyena's
// evaluation (perf). Here W is packed once, into panels of 32 output columns (K × 32 floats each), and an
// AVX-512 register tile of 12 rows × 32 columns starts from the bias, sums over K with one FMA per column
// and step (the register-blocked micro-kernel of Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication", 2008) and writes each output once, 32 panels at a time so that they stay in L2 across
// the rows. One thread, the head on 128 rows: 124–139 GFLOP/s against 100 for torch::mm_out; on 24 rows:
// 100–119 against 54–59 (two runs of tests/bench/kernels/bench_packed_product.cpp).
//
// Each output is b + Σ_k x[k] W[j][k] summed in k order with FMAs: to float rounding the value BLAS gives,
// and the same bits whatever rows it is computed with.

#include <cstdint>
#include <optional>
#include <vector>

#include <torch/types.h>

namespace zoolab::kernels {

// Rows of the register tile.
constexpr int64_t kPackedTileRows = 12;

class PackedWeight {
 public:
  // weight: (out, K) row-major float32, out, K > 0.
  PackedWeight(const float* weight, int64_t out, int64_t k);

  int64_t out() const { return out_; }
  int64_t k() const { return k_; }
  int64_t panels() const { return (out_ + kPanel - 1) / kPanel; }
  const float* panel(int64_t p) const { return panels_.data() + p * k_ * kPanel; }

  static constexpr int64_t kPanel = 32;  // output columns per panel: two AVX-512 registers

 private:
  int64_t out_, k_;
  std::vector<float> panels_;  // (panels, K, 32), columns past `out` zero
};

// Whether packed_product runs on this CPU (AVX-512); callers use BLAS otherwise.
bool packed_product_available();

// weight (out, K) packed, or nothing where packed_product does not apply to it (no AVX-512, not a 2-D
// float32 CPU tensor): the one test of when a caller takes the packed product instead of BLAS.
std::optional<PackedWeight> pack_weight(const torch::Tensor& weight);

// y (rows, out), row-major and contiguous, = x (rows, K) · Wᵀ + bias (out,; may be null). Runs on the
// calling thread.
void packed_product(const float* x, int64_t rows, const PackedWeight& weight, const float* bias, float* y);

}  // namespace zoolab::kernels
