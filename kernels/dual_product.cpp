#include "kernels/dual_product.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

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

struct DualProductArgs {
  const float* e;  // (rows, cols), row stride e_stride
  int64_t e_stride;
  const float* w;  // (cols, d)
  const float* h;  // (rows, d)
  int64_t rows, cols, d;
  float* ew;   // (rows, d) out
  float* eth;  // (cols, d) out
};

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

// E's column blocks [first, last) over its rows [r0, r1): adds their share of EW to `ew` (rows indexed as
// in E) and writes their EtH, summed over these rows, to `eth` (rows indexed as E's columns).
void tiles(const DualProductArgs& p, int64_t first, int64_t last, int64_t r0, int64_t r1, float* ew,
           float* eth) {
  for (int64_t block = first; block < last; ++block) {
    const int64_t j0 = block * kColBlock, cols = std::min(kColBlock, p.cols - j0);
    for (int64_t i0 = r0; i0 < r1; i0 += kRowBlock) {
      const int64_t rows = std::min(kRowBlock, r1 - i0);
      const float* e = p.e + i0 * p.e_stride + j0;  // (rows, cols) tile
      // EW[i0:] += E[i0:, j0:] · W[j0:]: rows of E, K along its columns.
      rows_product(rows, e, p.e_stride, 1, cols, p.w + j0 * p.d, p.d, ew + i0 * p.d, /*accumulate=*/true);
      // EtH[j0:] (+)= E[i0:, j0:]ᵀ · H[i0:]: columns of E as rows, K along its rows.
      rows_product(cols, e, 1, p.e_stride, rows, p.h + i0 * p.d, p.d, eth + j0 * p.d, /*accumulate=*/i0 > r0);
    }
  }
}

// Adds the threads' shares into `out`, in thread order (a thread without work left its share empty).
void add_shares(const std::vector<std::vector<float>>& shares, float* out, int64_t size, bool overwrite) {
  bool first = overwrite;
  for (const auto& share : shares) {
    if (share.empty()) {
      continue;
    }
    for (int64_t i = 0; i < size; ++i) {
      out[i] = first ? share[static_cast<size_t>(i)] : out[i] + share[static_cast<size_t>(i)];
    }
    first = false;
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

std::pair<torch::Tensor, torch::Tensor> dual_product(const torch::Tensor& e, const torch::Tensor& w,
                                                     const torch::Tensor& h) {
  if (!dual_product_available()) {
    throw std::logic_error("dual_product: this CPU has no AVX-512; use BLAS (check dual_product_available)");
  }
  TORCH_CHECK(e.dim() == 2 && w.dim() == 2 && h.dim() == 2 && w.size(0) == e.size(1) &&
                  h.size(0) == e.size(0) && w.size(1) == h.size(1),
              "dual_product: E (rows, cols), W (cols, D) and H (rows, D) expected, got ", e.sizes(), ", ",
              w.sizes(), " and ", h.sizes());
  TORCH_CHECK(e.numel() > 0 && h.size(1) > 0, "dual_product: empty operands ", e.sizes(), " and ", h.sizes());
  TORCH_CHECK(e.is_cpu() && w.is_cpu() && h.is_cpu() && e.scalar_type() == torch::kFloat &&
                  w.scalar_type() == torch::kFloat && h.scalar_type() == torch::kFloat,
              "dual_product: float32 CPU tensors expected");
  TORCH_CHECK(e.stride(1) == 1 && e.stride(0) >= e.size(1) && w.is_contiguous() && h.is_contiguous(),
              "dual_product: E's rows and W and H must be contiguous, got E's strides ", e.strides());
  auto ew = torch::zeros({e.size(0), h.size(1)}, h.options());   // (rows, D)
  auto eth = torch::empty({e.size(1), h.size(1)}, h.options());  // (cols, D)
#ifdef ZOOLAB_DUAL_AVX512
  DualProductArgs p;
  p.e = e.data_ptr<float>();
  p.e_stride = e.stride(0);
  p.w = w.data_ptr<float>();
  p.h = h.data_ptr<float>();
  p.rows = e.size(0);
  p.cols = e.size(1);
  p.d = h.size(1);
  p.ew = ew.data_ptr<float>();
  p.eth = eth.data_ptr<float>();
  const int64_t blocks = (p.cols + kColBlock - 1) / kColBlock;
  const int64_t row_blocks = (p.rows + kRowBlock - 1) / kRowBlock;
  const int threads = at::in_parallel_region() ? 1 : at::get_num_threads();
  if (threads == 1 || (blocks == 1 && row_blocks == 1)) {
    tiles(p, 0, blocks, 0, p.rows, p.ew, p.eth);
    return {ew, eth};
  }
  // Split the larger side over the threads. Each thread sums its own share of the other product, and the
  // shares are added in thread order.
  std::vector<std::vector<float>> shares(static_cast<size_t>(threads));
  if (blocks >= threads) {
    // Wide E (the head's vocabulary): column blocks, each thread writing its EtH rows, EW shared.
    at::parallel_for(0, blocks, 1, [&](int64_t first, int64_t last) {
      auto& share = shares[static_cast<size_t>(at::get_thread_num())];
      share.assign(static_cast<size_t>(p.rows * p.d), 0.0f);
      tiles(p, first, last, 0, p.rows, share.data(), p.eth);
    });
    add_shares(shares, p.ew, p.rows * p.d, /*overwrite=*/true);
    return {ew, eth};
  }
  // Narrow E (a projection's gradient): row blocks, each thread writing its EW rows, EtH shared.
  at::parallel_for(0, row_blocks, 1, [&](int64_t first, int64_t last) {
    auto& share = shares[static_cast<size_t>(at::get_thread_num())];
    share.assign(static_cast<size_t>(p.cols * p.d), 0.0f);
    tiles(p, 0, blocks, first * kRowBlock, std::min(p.rows, last * kRowBlock), p.ew, share.data());
  });
  add_shares(shares, p.eth, p.cols * p.d, /*overwrite=*/true);
#endif
  return {ew, eth};
}

}  // namespace zoolab::kernels
