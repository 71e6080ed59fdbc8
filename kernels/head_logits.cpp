#include "kernels/head_logits.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define ZOOLAB_HEAD_AVX512 1
#endif

namespace zoolab::kernels {

PackedHeadWeight::PackedHeadWeight(const float* weight, int64_t vocab, int64_t dim)
    : vocab_(vocab), dim_(dim) {
  if (vocab <= 0 || dim <= 0) {
    throw std::invalid_argument("head_logits: the head weight must be (V, D) with V, D > 0, got (" +
                                std::to_string(vocab) + ", " + std::to_string(dim) + ")");
  }
  panels_.assign(static_cast<size_t>(panels() * dim * kPanel), 0.0f);
  for (int64_t v = 0; v < vocab; ++v) {
    float* column = panels_.data() + (v / kPanel) * dim * kPanel + v % kPanel;
    for (int64_t k = 0; k < dim; ++k) {
      column[k * kPanel] = weight[v * dim + k];
    }
  }
}

#ifdef ZOOLAB_HEAD_AVX512
namespace {

// R rows × one panel: acc[r] = Σ_k h[r][k] · panel[k][0..32), stored to out[r][0..width).
template <int R>
__attribute__((target("avx512f"))) void tile(const float* h, int64_t dim, const float* panel, float* out,
                                             int64_t out_row, int64_t width) {
  __m512 lo[R], hi[R];
  for (int r = 0; r < R; ++r) {
    lo[r] = _mm512_setzero_ps();
    hi[r] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < dim; ++k) {
    const __m512 b_lo = _mm512_loadu_ps(panel + k * PackedHeadWeight::kPanel);
    const __m512 b_hi = _mm512_loadu_ps(panel + k * PackedHeadWeight::kPanel + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(h[r * dim + k]);
      lo[r] = _mm512_fmadd_ps(a, b_lo, lo[r]);
      hi[r] = _mm512_fmadd_ps(a, b_hi, hi[r]);
    }
  }
  if (width == PackedHeadWeight::kPanel) {
    for (int r = 0; r < R; ++r) {
      _mm512_storeu_ps(out + r * out_row, lo[r]);
      _mm512_storeu_ps(out + r * out_row + 16, hi[r]);
    }
    return;
  }
  // The last panel of a vocabulary that is not a multiple of 32.
  const __mmask16 lo_mask = static_cast<__mmask16>(width >= 16 ? 0xFFFF : (1u << width) - 1u);
  const __mmask16 hi_mask = static_cast<__mmask16>(width <= 16 ? 0 : (1u << (width - 16)) - 1u);
  for (int r = 0; r < R; ++r) {
    _mm512_mask_storeu_ps(out + r * out_row, lo_mask, lo[r]);
    _mm512_mask_storeu_ps(out + r * out_row + 16, hi_mask, hi[r]);
  }
}

// Panels per chunk: 32 × 8 KiB (D = 64) of W stay in L2 while every row group of the call reads them;
// a whole W (2 MiB) read again by each group came from L3.
constexpr int64_t kChunkPanels = 32;

// R rows × panels [first, last).
template <int R>
void rows_tile(const float* h, const PackedHeadWeight& w, int64_t first, int64_t last, float* out) {
  const int64_t vocab = w.vocab();
  for (int64_t p = first; p < last; ++p) {
    const int64_t column = p * PackedHeadWeight::kPanel;
    tile<R>(h, w.dim(), w.panel(p), out + column, vocab, std::min(PackedHeadWeight::kPanel, vocab - column));
  }
}

// The last rows (fewer than a tile) with the tile of their count.
template <int R>
void tail_rows(const float* h, int64_t rows, const PackedHeadWeight& w, int64_t first, int64_t last,
               float* out) {
  if constexpr (R > 0) {
    if (rows == R) {
      return rows_tile<R>(h, w, first, last, out);
    }
    tail_rows<R - 1>(h, rows, w, first, last, out);
  }
}

}  // namespace
#endif

bool head_logits_available() {
#ifdef ZOOLAB_HEAD_AVX512
  static const bool has = __builtin_cpu_supports("avx512f");
  return has;
#else
  return false;
#endif
}

void head_logits(const float* h, int64_t rows, const PackedHeadWeight& weight, float* out) {
  if (!head_logits_available()) {
    throw std::logic_error("head_logits: this CPU has no AVX-512; use BLAS (check head_logits_available)");
  }
#ifdef ZOOLAB_HEAD_AVX512
  const int64_t dim = weight.dim(), vocab = weight.vocab();
  for (int64_t first = 0; first < weight.panels(); first += kChunkPanels) {
    const int64_t last = std::min(weight.panels(), first + kChunkPanels);
    int64_t r = 0;
    for (; r + kHeadTileRows <= rows; r += kHeadTileRows) {
      rows_tile<kHeadTileRows>(h + r * dim, weight, first, last, out + r * vocab);
    }
    tail_rows<kHeadTileRows - 1>(h + r * dim, rows - r, weight, first, last, out + r * vocab);
  }
#else
  (void)h, (void)rows, (void)weight, (void)out;
#endif
}

}  // namespace zoolab::kernels
