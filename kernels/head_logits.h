#pragma once

// The logits h Wᵀ of a linear head over a large vocabulary (MQAR: V = 8192, D = 64), for a consumer that
// reads a block of rows of them at a time (evaluation, engine/train/labelled_outputs.h). BLAS handles this
// K = D = 64 product less well on a block of rows: every call repacks all of W (2 MiB) and first zero-fills
// the output (beta = 0). Here W is packed once, into panels of 32 vocabulary entries (D × 32 floats each),
// and an AVX-512 register tile of 12 rows × 32 entries sums over D with one FMA per entry and step (the
// register-blocked micro-kernel of Goto & van de Geijn, "Anatomy of high-performance matrix
// multiplication", 2008), 32 panels at a time so that they stay in L2 across the block's rows. One thread,
// 128 rows: 124 GFLOP/s against 100 for torch::mm_out; 24 rows: 100 against 54
// (tests/bench/kernels/bench_head_logits.cpp).
//
// Each logit is Σ_k h[k] W[v][k] summed in k order with FMAs: to float rounding the value BLAS gives, and
// the same bits whatever rows it is computed with.

#include <cstdint>
#include <vector>

namespace zoolab::kernels {

// Rows of the register tile.
constexpr int64_t kHeadTileRows = 12;

class PackedHeadWeight {
 public:
  // weight: (V, D) row-major float32.
  PackedHeadWeight(const float* weight, int64_t vocab, int64_t dim);

  int64_t vocab() const { return vocab_; }
  int64_t dim() const { return dim_; }
  const float* panel(int64_t p) const { return panels_.data() + p * dim_ * kPanel; }
  int64_t panels() const { return (vocab_ + kPanel - 1) / kPanel; }

  static constexpr int64_t kPanel = 32;  // vocabulary entries per panel: two AVX-512 registers

 private:
  int64_t vocab_, dim_;
  std::vector<float> panels_;  // (panels, D, 32), entries past V zero
};

// Whether head_logits runs on this CPU (AVX-512); callers use BLAS otherwise.
bool head_logits_available();

// out (rows, V), row-major and contiguous, = h (rows, D) · Wᵀ. Runs on the calling thread.
void head_logits(const float* h, int64_t rows, const PackedHeadWeight& weight, float* out);

}  // namespace zoolab::kernels
