#pragma once

// One pass per row of the statistics a softmax cross-entropy over a large vocabulary needs: each row's
// maximum, its first maximal index, and Σ exp(x − max); optionally the exps themselves, in place. With
// V = 8192 and a block of rows in cache, this replaces ATen's amax, sub, exp and sum (or log_softmax and
// argmax), four or five passes over the block with an exp of ~1 ns a value, by two passes with a
// vectorised exp (kernels/softmax_rows.cpp).
//
// The exp is the Cephes single-precision one (range reduction by ln 2 in two parts, a degree-7
// polynomial): within 2 ulp of the true value over the range used here, as ATen's SLEEF exp (1 ulp) is; the
// sums are taken in 16 lanes. Values therefore agree with the ATen computation to rounding, not bit for
// bit. A row's values do not depend on the other rows or on how rows are grouped into calls.
//
// Non-finite rows keep ATen's semantics: a row with a NaN has its first NaN as argmax and NaN for max and
// sum (and NaN exps); a row whose maximum is +inf has sum NaN (inf − inf), as exp(x − max) gives there.
// Elements of −inf contribute exp(−inf) = 0.

#include <cstdint>

namespace zoolab::kernels {

struct SoftmaxRowStats {
  float* max = nullptr;       // (count,) each row's maximum
  float* sum_exp = nullptr;   // (count,) Σ exp(x − max)
  int64_t* argmax = nullptr;  // (count,) first index of the maximum (or of the first NaN); may be null
};

// Statistics of `count` contiguous rows of `vocab` floats (vocab ≥ 1). Runs on the calling thread.
void softmax_row_stats(const float* rows, int64_t count, int64_t vocab, const SoftmaxRowStats& out);

// The same, and each row overwritten with exp(x − max). Runs on the calling thread.
void exp_rows_in_place(float* rows, int64_t count, int64_t vocab, const SoftmaxRowStats& out);

// row[0..n) (n ≥ 1) replaced by its softmax: exp_rows_in_place's exps divided by their sum, so float rows
// take the vectorised exp; double rows std::exp, summed in order. The attention kernels' probabilities
// over a causal prefix (kernels/attention_core.h, kernels/attention_rows.h), where one std::exp a score
// had been a third of the attention core's own time.
void softmax_in_place(float* row, int64_t n);
void softmax_in_place(double* row, int64_t n);

namespace detail {
// Whether the AVX-512 loops run on this CPU; tests compare both paths.
bool softmax_rows_vectorised();
// The portable loops (std::exp, the same lane structure), whatever the CPU.
void softmax_rows_portable(float* rows, int64_t count, int64_t vocab, bool write_exps,
                           const SoftmaxRowStats& out);
}  // namespace detail

}  // namespace zoolab::kernels
