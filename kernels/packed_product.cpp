#include "kernels/packed_product.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kernels/cpu_features.h"

#include <torch/torch.h>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define ZOOLAB_PACKED_AVX512 1
#endif

namespace zoolab::kernels {

PackedWeight::PackedWeight(const float* weight, int64_t out, int64_t k) : out_(out), k_(k) {
  if (out <= 0 || k <= 0) {
    throw std::invalid_argument("packed_product: the weight must be (out, K) with out, K > 0, got (" +
                                std::to_string(out) + ", " + std::to_string(k) + ")");
  }
  panels_.assign(static_cast<size_t>(panels() * k * kPanel), 0.0f);
  for (int64_t j = 0; j < out; ++j) {
    float* column = panels_.data() + (j / kPanel) * k * kPanel + j % kPanel;
    for (int64_t i = 0; i < k; ++i) {
      column[i * kPanel] = weight[j * k + i];
    }
  }
}

#ifdef ZOOLAB_PACKED_AVX512
namespace {

// R rows × one panel: y[r][0..width) = bias + Σ_i x[r][i] · panel[i][0..width).
template <int R>
__attribute__((target("avx512f"))) void tile(const float* x, int64_t k, const float* panel, const float* bias,
                                             float* y, int64_t y_row, int64_t width) {
  // Columns of the last panel when `out` is not a multiple of 32.
  const __mmask16 lo_mask = static_cast<__mmask16>(width >= 16 ? 0xFFFF : (1u << width) - 1u);
  const __mmask16 hi_mask = static_cast<__mmask16>(width <= 16   ? 0
                                                   : width >= 32 ? 0xFFFF
                                                                 : (1u << (width - 16)) - 1u);
  const __m512 bias_lo = bias ? _mm512_maskz_loadu_ps(lo_mask, bias) : _mm512_setzero_ps();
  const __m512 bias_hi = bias ? _mm512_maskz_loadu_ps(hi_mask, bias + 16) : _mm512_setzero_ps();
  __m512 lo[R], hi[R];
  for (int r = 0; r < R; ++r) {
    lo[r] = bias_lo;
    hi[r] = bias_hi;
  }
  for (int64_t i = 0; i < k; ++i) {
    const __m512 w_lo = _mm512_loadu_ps(panel + i * PackedWeight::kPanel);
    const __m512 w_hi = _mm512_loadu_ps(panel + i * PackedWeight::kPanel + 16);
    for (int r = 0; r < R; ++r) {
      const __m512 a = _mm512_set1_ps(x[r * k + i]);
      lo[r] = _mm512_fmadd_ps(a, w_lo, lo[r]);
      hi[r] = _mm512_fmadd_ps(a, w_hi, hi[r]);
    }
  }
  if (width == PackedWeight::kPanel) {
    for (int r = 0; r < R; ++r) {
      _mm512_storeu_ps(y + r * y_row, lo[r]);
      _mm512_storeu_ps(y + r * y_row + 16, hi[r]);
    }
    return;
  }
  for (int r = 0; r < R; ++r) {
    _mm512_mask_storeu_ps(y + r * y_row, lo_mask, lo[r]);
    _mm512_mask_storeu_ps(y + r * y_row + 16, hi_mask, hi[r]);
  }
}

// Panels per chunk: 32 × 8 KiB (K = 64) of W stay in L2 while every row group of the call reads them; the
// head's whole W (2 MiB) read again by each group came from L3.
constexpr int64_t kChunkPanels = 32;

// R rows × panels [first, last).
template <int R>
void rows_tile(const float* x, const PackedWeight& w, const float* bias, int64_t first, int64_t last,
               float* y) {
  for (int64_t p = first; p < last; ++p) {
    const int64_t column = p * PackedWeight::kPanel;
    tile<R>(x, w.k(), w.panel(p), bias ? bias + column : nullptr, y + column, w.out(),
            std::min(PackedWeight::kPanel, w.out() - column));
  }
}

// The last rows (fewer than a tile) with the tile of their count.
template <int R>
void tail_rows(const float* x, int64_t rows, const PackedWeight& w, const float* bias, int64_t first,
               int64_t last, float* y) {
  if constexpr (R > 0) {
    if (rows == R) {
      return rows_tile<R>(x, w, bias, first, last, y);
    }
    tail_rows<R - 1>(x, rows, w, bias, first, last, y);
  }
}

}  // namespace
#endif

bool packed_product_available() {
#ifdef ZOOLAB_PACKED_AVX512
  return cpu_has_avx512f();
#else
  return false;
#endif
}

std::optional<PackedWeight> pack_weight(const torch::Tensor& weight) {
  if (!packed_product_available() || !weight.is_cpu() || weight.scalar_type() != torch::kFloat ||
      weight.dim() != 2) {
    return std::nullopt;
  }
  const auto w = weight.detach().contiguous();  // (out, K)
  return PackedWeight(w.data_ptr<float>(), w.size(0), w.size(1));
}

void packed_product(const float* x, int64_t rows, const PackedWeight& weight, const float* bias, float* y) {
  if (!packed_product_available()) {
    throw std::logic_error(
        "packed_product: this CPU has no AVX-512; use BLAS (check packed_product_available)");
  }
#ifdef ZOOLAB_PACKED_AVX512
  const int64_t k = weight.k(), out = weight.out();
  for (int64_t first = 0; first < weight.panels(); first += kChunkPanels) {
    const int64_t last = std::min(weight.panels(), first + kChunkPanels);
    int64_t r = 0;
    for (; r + kPackedTileRows <= rows; r += kPackedTileRows) {
      rows_tile<kPackedTileRows>(x + r * k, weight, bias, first, last, y + r * out);
    }
    tail_rows<kPackedTileRows - 1>(x + r * k, rows - r, weight, bias, first, last, y + r * out);
  }
#else
  (void)x, (void)rows, (void)weight, (void)bias, (void)y;
#endif
}

}  // namespace zoolab::kernels
