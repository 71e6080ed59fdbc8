#include "kernels/dual_product.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "kernels/cpu_features.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define ZOOLAB_DUAL_AVX512 1
#endif

namespace zoolab::kernels {

#ifdef ZOOLAB_DUAL_AVX512
namespace {

// E tile: 48 rows × 512 columns, 96 KiB, read by EW's tiles and then again by EtH's from L2.
constexpr int64_t kRowBlock = 48;
constexpr int64_t kColBlock = 512;
// Register tile: 6 rows × 4 registers (64 columns) of accumulators, 4 for a step of B, 1 broadcast.
constexpr int kTileRows = 6;
constexpr int64_t kTileCols = 64;

// c[r][0, width) (+)= Σ_{i < k} a[r·a_row + i·a_k] · b[i·b_row + (0, width)], for r < R and width ≤ 64:
// the registers past `width` are neither loaded nor stored, the last one masked.
template <int R>
__attribute__((target("avx512f"))) void tile(const float* a, int64_t a_row, int64_t a_k, int64_t k,
                                             const float* b, int64_t b_row, float* c, int64_t c_row,
                                             int64_t width, bool accumulate) {
  const int regs = static_cast<int>(std::clamp<int64_t>((width + 15) / 16, 1, 4));
  const int64_t last = width - (regs - 1) * 16;
  const __mmask16 last_mask = static_cast<__mmask16>(last >= 16 ? 0xFFFF : (1u << last) - 1u);
  __m512 acc[R][4] = {};
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < 4; ++q) {
      const __mmask16 mask = q < regs - 1 ? 0xFFFF : q == regs - 1 ? last_mask : 0;
      acc[r][q] = accumulate ? _mm512_maskz_loadu_ps(mask, c + r * c_row + q * 16) : _mm512_setzero_ps();
    }
  }
  if (regs == 4 && last == 16) {
    for (int64_t i = 0; i < k; ++i) {
      const float* bi = b + i * b_row;
      const __m512 b0 = _mm512_loadu_ps(bi), b1 = _mm512_loadu_ps(bi + 16);
      const __m512 b2 = _mm512_loadu_ps(bi + 32), b3 = _mm512_loadu_ps(bi + 48);
      for (int r = 0; r < R; ++r) {
        const __m512 x = _mm512_set1_ps(a[r * a_row + i * a_k]);
        acc[r][0] = _mm512_fmadd_ps(x, b0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(x, b1, acc[r][1]);
        acc[r][2] = _mm512_fmadd_ps(x, b2, acc[r][2]);
        acc[r][3] = _mm512_fmadd_ps(x, b3, acc[r][3]);
      }
    }
  } else {
    // Fewer than 64 columns: the same sums over the registers in use.
    for (int64_t i = 0; i < k; ++i) {
      const float* bi = b + i * b_row;
      __m512 bq[4];
      for (int q = 0; q < regs; ++q) {
        bq[q] = _mm512_maskz_loadu_ps(q < regs - 1 ? 0xFFFF : last_mask, bi + q * 16);
      }
      for (int r = 0; r < R; ++r) {
        const __m512 x = _mm512_set1_ps(a[r * a_row + i * a_k]);
        for (int q = 0; q < regs; ++q) {
          acc[r][q] = _mm512_fmadd_ps(x, bq[q], acc[r][q]);
        }
      }
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int q = 0; q < regs; ++q) {
      _mm512_mask_storeu_ps(c + r * c_row + q * 16, q < regs - 1 ? 0xFFFF : last_mask, acc[r][q]);
    }
  }
}

// `count` (< kTileRows) rows with the tile of their count.
template <int R>
void tail(int64_t count, const float* a, int64_t a_row, int64_t a_k, int64_t k, const float* b, int64_t b_row,
          float* c, int64_t c_row, int64_t width, bool accumulate) {
  if constexpr (R > 0) {
    if (count == R) {
      return tile<R>(a, a_row, a_k, k, b, b_row, c, c_row, width, accumulate);
    }
    tail<R - 1>(count, a, a_row, a_k, k, b, b_row, c, c_row, width, accumulate);
  }
}

// c[r] (+)= Σ_i a[r·a_row + i·a_k] · b[i] for `count` rows and every column of D, in register tiles.
void rows_product(int64_t count, const float* a, int64_t a_row, int64_t a_k, int64_t k, const float* b,
                  int64_t d, float* c, bool accumulate) {
  for (int64_t column = 0; column < d; column += kTileCols) {
    const int64_t width = std::min(kTileCols, d - column);
    int64_t r = 0;
    for (; r + kTileRows <= count; r += kTileRows) {
      tile<kTileRows>(a + r * a_row, a_row, a_k, k, b + column, d, c + r * d + column, d, width, accumulate);
    }
    tail<kTileRows - 1>(count - r, a + r * a_row, a_row, a_k, k, b + column, d, c + r * d + column, d, width,
                        accumulate);
  }
}

// Column blocks [first, last) of E: EtH's rows there, and their share of EW added into `ew`.
void column_blocks(const DualProductArgs& p, int64_t first, int64_t last, float* ew) {
  for (int64_t block = first; block < last; ++block) {
    const int64_t j0 = block * kColBlock, cols = std::min(kColBlock, p.cols - j0);
    for (int64_t i0 = 0; i0 < p.rows; i0 += kRowBlock) {
      const int64_t rows = std::min(kRowBlock, p.rows - i0);
      const float* e = p.e + i0 * p.e_stride + j0;  // (rows, cols) tile
      // EW[i0:] += E[i0:, j0:] · W[j0:]: rows of E, K along its columns.
      rows_product(rows, e, p.e_stride, 1, cols, p.w + j0 * p.d, p.d, ew + i0 * p.d, /*accumulate=*/true);
      // EtH[j0:] (+)= E[i0:, j0:]ᵀ · H[i0:]: columns of E as rows, K along its rows.
      rows_product(cols, e, 1, p.e_stride, rows, p.h + i0 * p.d, p.d, p.eth + j0 * p.d,
                   /*accumulate=*/i0 > 0);
    }
  }
}

}  // namespace
#endif

bool dual_product_available() {
#ifdef ZOOLAB_DUAL_AVX512
  return cpu_has_avx512f();
#else
  return false;
#endif
}

void dual_product(const DualProductArgs& p) {
  if (!dual_product_available()) {
    throw std::logic_error("dual_product: this CPU has no AVX-512; use BLAS (check dual_product_available)");
  }
  if (p.rows <= 0 || p.cols <= 0 || p.d <= 0 || p.e_stride < p.cols) {
    throw std::invalid_argument("dual_product: rows, cols and d must be positive and e_stride ≥ cols");
  }
#ifdef ZOOLAB_DUAL_AVX512
  const int64_t blocks = (p.cols + kColBlock - 1) / kColBlock;
  const int64_t ew_size = p.rows * p.d;
  std::fill(p.ew, p.ew + ew_size, 0.0f);
  if (at::in_parallel_region() || at::get_num_threads() == 1 || blocks == 1) {
    column_blocks(p, 0, blocks, p.ew);
    return;
  }
  // Each thread sums its column blocks' share of EW on its own; the shares are added in thread order.
  const int threads = at::get_num_threads();
  std::vector<std::vector<float>> shares(static_cast<size_t>(threads));
  at::parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
    auto& share = shares[static_cast<size_t>(at::get_thread_num())];
    share.assign(static_cast<size_t>(ew_size), 0.0f);
    column_blocks(p, first, last, share.data());
  });
  for (const auto& share : shares) {
    for (int64_t i = 0; i < static_cast<int64_t>(share.size()); ++i) {
      p.ew[i] += share[static_cast<size_t>(i)];
    }
  }
#endif
}

}  // namespace zoolab::kernels
