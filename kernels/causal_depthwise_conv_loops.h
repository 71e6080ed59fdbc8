#pragma once

// The inner loops shared by the fused causal depthwise convolutions (kernels/causal_depthwise_conv.h,
// kernels/gated_causal_conv.h): sums over taps for blocks of rows and channels, one vector register per
// row of a block (GCC and Clang vector extensions, which each build lowers to its own registers).
// Private to kernels/.
//
// The default build targets baseline x86-64 (SSE2); on GCC/Clang x86 builds the callers also compile
// these loops for AVX2+FMA and AVX-512 and pick at run time by what the CPU has, as ATen does for its
// own kernels. ZOOLAB_CONV_INLINE forces the loops into each of those copies, and each copy is told its
// register width, so that a block is as many channels as one register holds.

#include <algorithm>
#include <cstdint>
#include <cstring>

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define ZOOLAB_CONV_AVX2 1
#define ZOOLAB_CONV_INLINE inline __attribute__((always_inline))
#else
#define ZOOLAB_CONV_INLINE inline
#endif

namespace zoolab::kernels::conv_loops {

// The vector registers each build of the loops is compiled for, in bytes (run_best_isa): AVX-512, AVX2,
// and the baseline's SSE2 (or NEON).
constexpr int64_t kAvx512Bytes = 64, kAvx2Bytes = 32, kBaselineBytes = 16;

// N lanes of T as one value (GCC and Clang vector extensions); one lane is T itself.
template <typename T, int64_t N>
struct LanesOf {
  typedef T type __attribute__((vector_size(N * sizeof(T))));
};
template <typename T>
struct LanesOf<T, 1> {
  using type = T;
};
template <typename T, int64_t N>
using Lanes = typename LanesOf<T, N>::type;

// Lanes of T in one register of kBytes.
template <int64_t kBytes, typename T>
constexpr int64_t kLanesPer = kBytes / static_cast<int64_t>(sizeof(T));

// Output rows (or lags) per register block. One row's sum over taps is a chain of dependent fused
// multiply-adds, one every four cycles or so; eight independent rows keep the FMA units busy, and the
// block reads each tap row (or input row) once for all eight. Every row still adds its terms in the
// order of a one-row loop, tap after tap.
constexpr int64_t kRowBlock = 8;

// The blocks below index their accumulators by row in loops unrolled kRowBlock times, so that each
// row's accumulator stays in a register.
#define ZOOLAB_CONV_UNROLL _Pragma("GCC unroll 8")

// One register of lanes from p (unaligned).
template <typename V, typename T>
ZOOLAB_CONV_INLINE void load_lanes(V& v, const T* p) {
  std::memcpy(&v, p, sizeof v);
}

// acc[r] += w ⊙ x[offset + r·step] for the rows first <= r < end of a block. With first 0 and end R,
// constants after inlining, the guard folds away.
template <int64_t R, typename V, typename T>
ZOOLAB_CONV_INLINE void fma_rows(V (&acc)[R], const V& w, const T* x, int64_t offset, int64_t step,
                                 int64_t first, int64_t end) {
  ZOOLAB_CONV_UNROLL
  for (int64_t r = 0; r < R; ++r) {
    if (r >= first && r < end) {
      V xr;
      load_lanes(xr, x + offset + r * step);
      acc[r] += w * xr;
    }
  }
}

// out[r·out_row] = acc[r] (kAccumulate: +=) for the first `rows` (default: all R) rows of a block.
template <bool kAccumulate, int64_t R, typename V, typename T>
ZOOLAB_CONV_INLINE void store_rows(const V (&acc)[R], T* out, int64_t out_row, int64_t rows = R) {
  ZOOLAB_CONV_UNROLL
  for (int64_t r = 0; r < R; ++r) {
    if (r >= rows) {
      break;
    }
    V v = acc[r];
    if (kAccumulate) {
      V old;
      load_lanes(old, out + r * out_row);
      v = old + v;
    }
    std::memcpy(out + r * out_row, &v, sizeof v);
  }
}

// The causal sum of R consecutive rows t0..t0+R-1 for the N channels at c0:
// out[t] = init + Σ_{j <= min(t, K-1)} w[j] ⊙ in[t-j], taps j in ascending order.
struct CausalBlock {
  template <int64_t R, int64_t N, typename T>
  static ZOOLAB_CONV_INLINE void block(int64_t t0, int64_t c0, const T* w, const T* in, int64_t in_row,
                                       int64_t taps, int64_t channels, const T* init, T* out,
                                       int64_t out_row) {
    using V = Lanes<T, N>;
    V start = {};
    if (init) {
      load_lanes(start, init + c0);
    }
    V acc[R];
    ZOOLAB_CONV_UNROLL
    for (int64_t r = 0; r < R; ++r) {
      acc[r] = start;
    }
    // Taps up to t0 reach back from every row of the block; the sequence's first rows have fewer.
    const int64_t shared = std::min(taps - 1, t0), last = std::min(taps, t0 + R) - 1;
    V wj;
    for (int64_t j = 0; j <= shared; ++j) {
      load_lanes(wj, w + j * channels + c0);
      fma_rows(acc, wj, in, (t0 - j) * in_row + c0, in_row, 0, R);
    }
    for (int64_t j = shared + 1; j <= last; ++j) {
      load_lanes(wj, w + j * channels + c0);
      fma_rows(acc, wj, in, (t0 - j) * in_row + c0, in_row, j - t0, R);
    }
    store_rows<false>(acc, out + t0 * out_row + c0, out_row);
  }
};

// The adjoint sum of R consecutive rows s0..s0+R-1 of a sequence of len rows:
// out[s] = Σ_{j <= min(K-1, len-1-s)} w[j] ⊙ dy[s+j], taps j in ascending order.
struct AdjointBlock {
  template <int64_t R, int64_t N, typename T>
  static ZOOLAB_CONV_INLINE void block(int64_t s0, int64_t c0, const T* w, const T* dy, int64_t dy_row,
                                       int64_t len, int64_t taps, int64_t channels, T* out, int64_t out_row) {
    using V = Lanes<T, N>;
    V acc[R] = {};
    // Taps up to len - s0 - R reach forward from every row of the block; rows near the end have fewer.
    const int64_t shared = std::min(taps, len - s0 - R + 1) - 1, last = std::min(taps, len - s0) - 1;
    V wj;
    for (int64_t j = 0; j <= shared; ++j) {
      load_lanes(wj, w + j * channels + c0);
      fma_rows(acc, wj, dy, (s0 + j) * dy_row + c0, dy_row, 0, R);
    }
    for (int64_t j = shared + 1; j <= last; ++j) {
      load_lanes(wj, w + j * channels + c0);
      fma_rows(acc, wj, dy, (s0 + j) * dy_row + c0, dy_row, 0, len - s0 - j);
    }
    store_rows<false>(acc, out + s0 * out_row + c0, out_row);
  }
};

// partial[j] += Σ_{t >= j} dy[t] ⊙ x[t-j] for the lags j0..j0+live-1 (live <= R consecutive lags of a
// block) and the N channels at c0, t in ascending order; the block reads each row of dy once, and its
// lags' chains interleave. partial is (K, C).
struct CorrelateBlock {
  template <int64_t R, int64_t N, typename T>
  static ZOOLAB_CONV_INLINE void block(int64_t j0, int64_t c0, const T* x, int64_t x_row, const T* dy,
                                       int64_t dy_row, int64_t len, int64_t channels, int64_t lags,
                                       T* partial) {
    using V = Lanes<T, N>;
    V acc[R] = {};
    const int64_t live = std::min(R, lags);
    // Lag j0 + r starts at row t = j0 + r; from t = j0 + live - 1 on, every live lag takes part.
    const int64_t full = std::min(len, j0 + live - 1);
    V g;
    for (int64_t t = j0; t < full; ++t) {
      load_lanes(g, dy + t * dy_row + c0);
      fma_rows(acc, g, x, (t - j0) * x_row + c0, -x_row, 0, t - j0 + 1);
    }
    for (int64_t t = full; t < len; ++t) {
      load_lanes(g, dy + t * dy_row + c0);
      fma_rows(acc, g, x, (t - j0) * x_row + c0, -x_row, 0, live);
    }
    store_rows<true>(acc, partial + j0 * channels + c0, channels, live);
  }
};

// Block::block over all rows (in blocks of kRowBlock where `blocked`, then single rows) and all channels
// (in blocks of N, one register each, then single channels), row after row as the rows lie in memory.
template <typename Block, int64_t N, typename... Args>
ZOOLAB_CONV_INLINE void for_blocks(int64_t rows, int64_t channels, bool blocked, const Args&... args) {
  int64_t t = 0;
  for (; blocked && t + kRowBlock <= rows; t += kRowBlock) {
    int64_t c = 0;
    for (; c + N <= channels; c += N) {
      Block::template block<kRowBlock, N>(t, c, args...);
    }
    for (; c < channels; ++c) {
      Block::template block<kRowBlock, 1>(t, c, args...);
    }
  }
  for (; t < rows; ++t) {
    int64_t c = 0;
    for (; c + N <= channels; c += N) {
      Block::template block<1, N>(t, c, args...);
    }
    for (; c < channels; ++c) {
      Block::template block<1, 1>(t, c, args...);
    }
  }
}

// Row blocks pay where a row's chain is long. A few taps make short chains that the core already
// overlaps from row to row, and the single rows' sequential walk through memory is faster there
// (bench_kernels causal_depthwise_conv/3).
inline bool block_rows(int64_t taps) {
  return taps >= kRowBlock;
}

// The causal convolution of one example: out[t] = init + Σ_{j <= min(t, K-1)} w[j] ⊙ in[t-j] for
// t < len. w is (K, C); rows of in and out are in_row and out_row elements apart; init is (C) or null.
template <int64_t kBytes, typename T>
ZOOLAB_CONV_INLINE void causal_rows(const T* w, const T* in, int64_t in_row, int64_t len, int64_t taps,
                                    int64_t channels, const T* init, T* out, int64_t out_row) {
  for_blocks<CausalBlock, kLanesPer<kBytes, T>>(len, channels, block_rows(taps), w, in, in_row, taps,
                                                channels, init, out, out_row);
}

// Its adjoint: out[s] = Σ_{j <= min(K-1, len-1-s)} w[j] ⊙ dy[s+j] for s < len.
template <int64_t kBytes, typename T>
ZOOLAB_CONV_INLINE void adjoint_rows(const T* w, const T* dy, int64_t dy_row, int64_t len, int64_t taps,
                                     int64_t channels, T* out, int64_t out_row) {
  for_blocks<AdjointBlock, kLanesPer<kBytes, T>>(len, channels, block_rows(taps), w, dy, dy_row, len, taps,
                                                 channels, out, out_row);
}

// partial[j] += Σ_{t >= j} dy[t] ⊙ x[t-j] for one example, j < used_taps <= len: the correlation that
// gives the taps' gradient. Rows of x and dy are *_row elements apart; partial is (K, C). The lags go
// in blocks of kRowBlock and the last few as one part-filled block, so that a short filter's three
// lags are three interleaved chains rather than three long ones in turn.
template <int64_t kBytes, typename T>
ZOOLAB_CONV_INLINE void correlate_example(const T* x, int64_t x_row, const T* dy, int64_t dy_row, int64_t len,
                                          int64_t channels, int64_t used_taps, T* partial) {
  constexpr int64_t N = kLanesPer<kBytes, T>;
  const int64_t whole = used_taps - used_taps % kRowBlock;
  for_blocks<CorrelateBlock, N>(whole, channels, true, x, x_row, dy, dy_row, len, channels, kRowBlock,
                                partial);
  if (whole < used_taps) {
    const int64_t lags = used_taps - whole;
    int64_t c = 0;
    for (; c + N <= channels; c += N) {
      CorrelateBlock::block<kRowBlock, N>(whole, c, x, x_row, dy, dy_row, len, channels, lags, partial);
    }
    for (; c < channels; ++c) {
      CorrelateBlock::block<kRowBlock, 1>(whole, c, x, x_row, dy, dy_row, len, channels, lags, partial);
    }
  }
}

// The backward of one example of the causal convolution, all from its rows of dy while they are in
// cache; each output is skipped when null:
// - dx[s] = Σ_{j <= min(K-1, len-1-s)} w[j] ⊙ dy[s+j] (contiguous (L, C));
// - dtaps[j] += Σ_{t >= j} dy[t] ⊙ x[t-j] into the (K, C) partial sum;
// - dbias += Σ_t dy[t] into the (C) partial sum.
template <int64_t kBytes, typename T>
ZOOLAB_CONV_INLINE void backward_example(const T* w, const T* x, int64_t x_row, const T* dy, int64_t dy_row,
                                         int64_t len, int64_t taps, int64_t channels, T* dx, T* partial_taps,
                                         T* partial_bias) {
  if (dx) {
    adjoint_rows<kBytes>(w, dy, dy_row, len, taps, channels, dx, channels);
  }
  if (partial_taps) {
    correlate_example<kBytes>(x, x_row, dy, dy_row, len, channels, std::min(taps, len), partial_taps);
  }
  if (partial_bias) {
    for (int64_t t = 0; t < len; ++t) {
      for (int64_t c = 0; c < channels; ++c) {
        partial_bias[c] += dy[t * dy_row + c];
      }
    }
  }
}

#ifdef ZOOLAB_CONV_AVX2
// Op::run compiled for AVX-512 and for AVX2+FMA: the always-inline loops take the caller's target, and
// Op::run<kBytes> learns the register width it is compiled for.
// AVX-512DQ (every AVX-512 server core since Skylake) brings the 64-bit integer products that the dropout
// hash's loop (kernels/counter_dropout.cpp) vectorises with.
template <typename Op, typename... Args>
__attribute__((target("avx512f,avx512dq,avx2,fma"))) void run_avx512(Args&... args) {
  Op::template run<kAvx512Bytes>(args...);
}
template <typename Op, typename... Args>
__attribute__((target("avx2,fma"))) void run_avx2(Args&... args) {
  Op::template run<kAvx2Bytes>(args...);
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

// Runs Op::run<kBytes>(args...) (a static, ZOOLAB_CONV_INLINE member template) built for the widest vector
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
  Op::template run<kBaselineBytes>(args...);
}

}  // namespace zoolab::kernels::conv_loops
