#pragma once

// Causal softmax attention for a few query positions only: kernels/attention_core.h's math and dropout,
// row for row. The last block of an MQAR model is read by the loss at its labelled positions alone (a
// few of each sequence's L), so its queries, probabilities and outputs are needed there and nowhere else;
// its keys and values are still needed at every position (models/language_model.h, hidden_at).
//
// Per example and head the query rows form one small product against that example's keys up to its
// last query, so the work is (labelled rows) × L instead of L × L per sequence. The dropout counters are
// those of the full (B·H, L, L) probabilities, so row r's mask is the full core's mask of its position.

#include <cstdint>

#include <torch/types.h>

namespace zoolab::kernels {

// q: (N, D), the queries of N positions; kv: (B, L, 2·D), channels "(two h d)": every position's keys,
// then its values; positions: (N,) int64, the flat indices b·L + i of q's rows, strictly increasing.
// Returns (N, D), channels "(h d)": row r is row positions[r] of causal_attention (kernels/attention_core.h)
// on the (B, L, 3·D) projection with these queries, keys and values, with the same `dropout_p` and `seed`.
// Runs where causal_attention_is_fused(q) (float32/float64 CPU, BLAS found at build time); throws elsewhere.
torch::Tensor causal_attention_rows(const torch::Tensor& q, const torch::Tensor& kv,
                                    const torch::Tensor& positions, int64_t heads, double scale,
                                    double dropout_p, uint64_t seed);

}  // namespace zoolab::kernels
