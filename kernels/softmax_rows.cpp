#include "kernels/softmax_rows.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels/cpu_features.h"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#include <immintrin.h>
#define ZOOLAB_SOFTMAX_AVX512 1
#endif

namespace zoolab::kernels {
namespace {

// Lanes of the sums: one AVX-512 register of floats. The portable loops use the same lanes, so the two
// paths differ only in their exp.
constexpr int64_t kLanes = 16;

// Σ of the lanes in lane order, the same in both paths.
float sum_lanes(const float* lanes) {
  float sum = 0.0f;
  for (int64_t j = 0; j < kLanes; ++j) {
    sum += lanes[j];
  }
  return sum;
}

// The index of the first element equal to `value` among `n`, or n.
int64_t first_equal(const float* row, int64_t n, float value) {
  int64_t i = 0;
  while (i < n && row[i] != value) {
    ++i;
  }
  return i;
}

// The first NaN of the row, or −1.
int64_t first_nan(const float* row, int64_t vocab) {
  for (int64_t i = 0; i < vocab; ++i) {
    if (std::isnan(row[i])) {
      return i;
    }
  }
  return -1;
}

// Σ exp(x − max) of one row with std::exp, and the exps where asked: the portable path, and every row
// with a NaN or a maximum of ±inf, whose values then follow ATen's arithmetic element by element (x − NaN,
// inf − inf and −inf − (−inf) are NaN).
void scalar_row(float* row, int64_t vocab, float max, bool write_exps, float* sum_exp) {
  float lanes[kLanes] = {};
  for (int64_t i = 0; i < vocab; ++i) {
    const float e = std::exp(row[i] - max);
    lanes[i % kLanes] += e;
    if (write_exps) {
      row[i] = e;
    }
  }
  *sum_exp = sum_lanes(lanes);
}

void portable_rows(float* rows, int64_t count, int64_t vocab, bool write_exps, const SoftmaxRowStats& out) {
  for (int64_t r = 0; r < count; ++r) {
    float* row = rows + r * vocab;
    const int64_t nan_at = first_nan(row, vocab);
    float max = -std::numeric_limits<float>::infinity();
    int64_t argmax = 0;
    if (nan_at >= 0) {
      max = std::numeric_limits<float>::quiet_NaN();
      argmax = nan_at;
    } else {
      max = row[0];
      for (int64_t i = 1; i < vocab; ++i) {
        if (row[i] > max) {
          max = row[i];
          argmax = i;
        }
      }
    }
    out.max[r] = max;
    if (out.argmax) {
      out.argmax[r] = argmax;
    }
    scalar_row(row, vocab, max, write_exps, out.sum_exp + r);
  }
}

#ifdef ZOOLAB_SOFTMAX_AVX512
#define ZOOLAB_AVX512 __attribute__((target("avx512f")))

// Every lane, for the masked forms of max, roundscale and scalef: the unmasked ones start from
// _mm512_undefined_ps, which GCC 12 reports as maybe uninitialised.
constexpr __mmask16 kAll = 0xFFFF;

// exp(x) for x ≤ 0 (and finite or −inf), Cephes' expf: x = n ln 2 + r with |r| ≤ ln 2 / 2, ln 2 split in
// two so that r is exact to a float, exp(r) by its minimax polynomial, and the result scaled by 2ⁿ with
// scalef, which rounds into the subnormals instead of flushing. Below −110, exp underflows to 0 anyway.
ZOOLAB_AVX512 inline __m512 exp_nonpositive(__m512 x) {
  x = _mm512_mask_max_ps(x, kAll, x, _mm512_set1_ps(-110.0f));
  const __m512 t = _mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f));
  const __m512 n = _mm512_mask_roundscale_ps(t, kAll, t, _MM_FROUND_TO_NEAREST_INT);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);  // x − n·C1, exact
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);      // − n·C2
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);  // r + r²·P(r)
  p = _mm512_add_ps(p, _mm512_set1_ps(1.0f));
  return _mm512_mask_scalef_ps(p, kAll, p, n);
}

ZOOLAB_AVX512 void vector_rows(float* rows, int64_t count, int64_t vocab, bool write_exps,
                               const SoftmaxRowStats& out) {
  const int64_t full = vocab / kLanes * kLanes;
  const __mmask16 tail = static_cast<__mmask16>((1u << (vocab - full)) - 1u);
  const __m512 minus_inf = _mm512_set1_ps(-std::numeric_limits<float>::infinity());
  for (int64_t r = 0; r < count; ++r) {
    float* row = rows + r * vocab;
    // Pass 1: the maximum, and whether there is a NaN (max_ps would drop it).
    __m512 vmax = minus_inf;
    __mmask16 nan = 0;
    for (int64_t i = 0; i < full; i += kLanes) {
      const __m512 x = _mm512_loadu_ps(row + i);
      nan |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
      vmax = _mm512_mask_max_ps(vmax, kAll, vmax, x);
    }
    if (tail) {
      const __m512 x = _mm512_mask_loadu_ps(minus_inf, tail, row + full);
      nan |= _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
      vmax = _mm512_mask_max_ps(vmax, kAll, vmax, x);
    }
    if (nan) {
      out.max[r] = std::numeric_limits<float>::quiet_NaN();
      if (out.argmax) {
        out.argmax[r] = first_nan(row, vocab);
      }
      scalar_row(row, vocab, out.max[r], write_exps, out.sum_exp + r);
      continue;
    }
    alignas(64) float lanes[kLanes];
    _mm512_store_ps(lanes, vmax);
    float max = lanes[0];
    for (int64_t j = 1; j < kLanes; ++j) {
      max = std::max(max, lanes[j]);
    }
    out.max[r] = max;
    if (out.argmax) {  // the first element equal to the maximum: it exists, so the search stops
      const __m512 target = _mm512_set1_ps(max);
      int64_t i = 0;
      __mmask16 hit = 0;
      for (; i < full; i += kLanes) {
        hit = _mm512_cmp_ps_mask(_mm512_loadu_ps(row + i), target, _CMP_EQ_OQ);
        if (hit) {
          break;
        }
      }
      out.argmax[r] = hit ? i + __builtin_ctz(hit) : full + first_equal(row + full, vocab - full, max);
    }
    if (!std::isfinite(max)) {
      scalar_row(row, vocab, max, write_exps, out.sum_exp + r);
      continue;
    }
    // Pass 2: Σ exp(x − max), and the exps.
    const __m512 shift = _mm512_set1_ps(max);
    __m512 sum = _mm512_setzero_ps();
    for (int64_t i = 0; i < full; i += kLanes) {
      const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(row + i), shift));
      sum = _mm512_add_ps(sum, e);
      if (write_exps) {
        _mm512_storeu_ps(row + i, e);
      }
    }
    if (tail) {
      const __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_mask_loadu_ps(shift, tail, row + full), shift));
      sum = _mm512_mask_add_ps(sum, tail, sum, e);
      if (write_exps) {
        _mm512_mask_storeu_ps(row + full, tail, e);
      }
    }
    _mm512_store_ps(lanes, sum);
    out.sum_exp[r] = sum_lanes(lanes);
  }
}
#endif

void run(float* rows, int64_t count, int64_t vocab, bool write_exps, const SoftmaxRowStats& out) {
#ifdef ZOOLAB_SOFTMAX_AVX512
  if (detail::softmax_rows_vectorised()) {
    return vector_rows(rows, count, vocab, write_exps, out);
  }
#endif
  portable_rows(rows, count, vocab, write_exps, out);
}

}  // namespace

void softmax_row_stats(const float* rows, int64_t count, int64_t vocab, const SoftmaxRowStats& out) {
  // Only exp_rows_in_place writes through the pointer.
  run(const_cast<float*>(rows), count, vocab, /*write_exps=*/false, out);
}

void exp_rows_in_place(float* rows, int64_t count, int64_t vocab, const SoftmaxRowStats& out) {
  run(rows, count, vocab, /*write_exps=*/true, out);
}

void softmax_in_place(float* row, int64_t n) {
  float max = 0, sum = 0;
  exp_rows_in_place(row, 1, n, {&max, &sum});
  const float inv = 1.0f / sum;
  for (int64_t j = 0; j < n; ++j) {
    row[j] *= inv;
  }
}

void softmax_in_place(double* row, int64_t n) {
  double max = row[0];
  for (int64_t j = 1; j < n; ++j) {
    max = std::max(max, row[j]);
  }
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    row[j] = std::exp(row[j] - max);
    sum += row[j];
  }
  const double inv = 1.0 / sum;
  for (int64_t j = 0; j < n; ++j) {
    row[j] *= inv;
  }
}

namespace detail {

bool softmax_rows_vectorised() {
#ifdef ZOOLAB_SOFTMAX_AVX512
  return cpu_has_avx512f();
#else
  return false;
#endif
}

void softmax_rows_portable(float* rows, int64_t count, int64_t vocab, bool write_exps,
                           const SoftmaxRowStats& out) {
  portable_rows(rows, count, vocab, write_exps, out);
}

}  // namespace detail

}  // namespace zoolab::kernels
