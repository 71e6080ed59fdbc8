#pragma once

// The inner loops shared by the fused causal depthwise convolutions (kernels/causal_depthwise_conv.h,
// kernels/gated_causal_conv.h): sums over taps for a block of channels, written as plain C++ that the
// compiler vectorises over channels. Private to kernels/.
//
// The default build targets baseline x86-64 (SSE2); on GCC/Clang x86 builds the callers also compile
// these loops for AVX2+FMA and AVX-512 and pick at run time by what the CPU has, as ATen does for its
// own kernels. ZOOLAB_CONV_INLINE forces the loops into each of those copies.

#include <algorithm>
#include <cstdint>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define ZOOLAB_CONV_AVX2 1
#define ZOOLAB_CONV_INLINE inline __attribute__((always_inline))
#else
#define ZOOLAB_CONV_INLINE inline
#endif

namespace zoolab::kernels::conv_loops {

// Channels per register block: 16 floats are one AVX-512 or two AVX2 registers per accumulator row.
constexpr int64_t kConvBlock = 16;

// out[c] = init[c] + Σ_{j=0..n_taps-1} w[j·C + c] · in[j·step + c] for the W channels at c.
template <typename T, int64_t W>
ZOOLAB_CONV_INLINE void tap_sum(const T* w, const T* in, int64_t step, int64_t n_taps, int64_t channels,
                                const T* init, T* out) {
  T acc[W];
  for (int64_t c = 0; c < W; ++c) {
    acc[c] = init ? init[c] : T(0);
  }
  for (int64_t j = 0; j < n_taps; ++j) {
    const T* wj = w + j * channels;
    const T* ij = in + j * step;
    for (int64_t c = 0; c < W; ++c) {
      acc[c] += wj[c] * ij[c];
    }
  }
  for (int64_t c = 0; c < W; ++c) {
    out[c] = acc[c];
  }
}

// tap_sum over all channels of one position, in blocks of kConvBlock and a tail of single channels.
template <typename T>
ZOOLAB_CONV_INLINE void row_tap_sum(const T* w, const T* in, int64_t step, int64_t n_taps, int64_t channels,
                                    const T* init, T* out) {
  int64_t c = 0;
  for (; c + kConvBlock <= channels; c += kConvBlock) {
    tap_sum<T, kConvBlock>(w + c, in + c, step, n_taps, channels, init ? init + c : nullptr, out + c);
  }
  for (; c < channels; ++c) {
    tap_sum<T, 1>(w + c, in + c, step, n_taps, channels, init ? init + c : nullptr, out + c);
  }
}

// partial[j] += Σ_{t >= j} dy[t] ⊙ x[t-j] for one example, j < min(K, L): the correlation that gives
// the taps' gradient. Rows of x and dy are *_row elements apart; partial is (K, C).
template <typename T>
ZOOLAB_CONV_INLINE void correlate_example(const T* x, int64_t x_row, const T* dy, int64_t dy_row, int64_t len,
                                          int64_t channels, int64_t used_taps, T* partial) {
  for (int64_t j = 0; j < used_taps; ++j) {
    T* p = partial + j * channels;
    int64_t c = 0;
    for (; c + kConvBlock <= channels; c += kConvBlock) {
      T acc[kConvBlock] = {};
      for (int64_t t = j; t < len; ++t) {
        const T* dyt = dy + t * dy_row + c;
        const T* xt = x + (t - j) * x_row + c;
        for (int64_t k = 0; k < kConvBlock; ++k) {
          acc[k] += dyt[k] * xt[k];
        }
      }
      for (int64_t k = 0; k < kConvBlock; ++k) {
        p[c + k] += acc[k];
      }
    }
    for (; c < channels; ++c) {
      T acc = 0;
      for (int64_t t = j; t < len; ++t) {
        acc += dy[t * dy_row + c] * x[(t - j) * x_row + c];
      }
      p[c] += acc;
    }
  }
}

#ifdef ZOOLAB_CONV_AVX2
// Op::run compiled for AVX-512 and for AVX2+FMA: the always-inline loops take the caller's target.
// AVX-512DQ (every AVX-512 server core since Skylake) brings the 64-bit integer products that the dropout
// hash's loop (kernels/counter_dropout.cpp) vectorises with.
template <typename Op, typename... Args>
__attribute__((target("avx512f,avx512dq,avx2,fma"))) void run_avx512(Args&... args) {
  Op::run(args...);
}
template <typename Op, typename... Args>
__attribute__((target("avx2,fma"))) void run_avx2(Args&... args) {
  Op::run(args...);
}
inline bool cpu_has_avx512() {
  static const bool has = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                          __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
inline bool cpu_has_avx2() {
  static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return has;
}
#endif

// Runs Op::run(args...) (a static, ZOOLAB_CONV_INLINE member template) built for the widest vector
// instructions this CPU has.
template <typename Op, typename... Args>
void run_best_isa(Args&... args) {
#ifdef ZOOLAB_CONV_AVX2
  if (cpu_has_avx512()) {
    return run_avx512<Op>(args...);
  }
  if (cpu_has_avx2()) {
    return run_avx2<Op>(args...);
  }
#endif
  Op::run(args...);
}

}  // namespace zoolab::kernels::conv_loops
