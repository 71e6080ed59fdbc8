#pragma once

// The core of causal softmax attention on a fused qkv projection, forward and backward in one
// custom autograd function (the math of Zoology's MHA / SelfAttention, zoology/mixers/attention.py):
//   per head: S = scale · q kᵀ + mask (−10000 above the diagonal), P = softmax(S),
//             P̃ = dropout(P), out = P̃ v.
//
// Why fused: the plain-torch graph splits qkv into three views, so autograd's SplitBackward
// concatenates three fresh gradients (25 MB per layer at MQAR's batch 512) and the mask add,
// softmax, Bernoulli dropout mask and its multiply each make one more (B·H, L, L) pass. Here each
// (batch, head) matrix is one task: its products go to BLAS directly on strided views of qkv, the
// mask, softmax and dropout are one loop over the causal triangle, and the backward writes dq, dk
// and dv straight into one (B, L, 3·D) gradient. Dropout's keep bits come from a counter hash
// (kernels/counter_dropout.h) of the element index (matrix, row, column), recomputed in the backward.
//
// Masked entries are exactly 0: the reference's exp(s − 10000 − max) underflows to 0 in float32
// and float64 whenever a row's scores span less than ~9000.

#include <cstdint>

#include <torch/types.h>

namespace zoolab::kernels {

// qkv: (B, L, 3·D), channels "(three h d)"; heads divides D. Returns (B, L, D), channels "(h d)".
// dropout_p in [0, 1) on the probabilities with the counter mask of `seed` (p = 0: none).
// Float32/float64 CPU tensors take the fused path when BLAS was found at build time; others the reference.
torch::Tensor causal_attention(const torch::Tensor& qkv, int64_t heads, double scale, double dropout_p,
                               uint64_t seed);

// The plain-torch reference. keep: (B·H, L, L) bool, or undefined for no dropout.
torch::Tensor causal_attention_reference(const torch::Tensor& qkv, int64_t heads, double scale,
                                         double dropout_p, const torch::Tensor& keep);

// The keep mask causal_attention applies for `seed`: (B·H, L, L) bool.
torch::Tensor causal_attention_keep_mask(uint64_t seed, int64_t matrices, int64_t seq_len, double dropout_p);

// The dropout counter of element (i, j) of matrix n (= b·H + h) of the (B·H, L, L) probabilities: its
// index in that tensor (kernels/attention_rows.h uses the same counters).
inline uint64_t attention_dropout_counter(int64_t n, int64_t i, int64_t j, int64_t seq_len) {
  return static_cast<uint64_t>((n * seq_len + i) * seq_len + j);
}

// Whether causal_attention runs fused on this tensor.
bool causal_attention_is_fused(const torch::Tensor& qkv);

}  // namespace zoolab::kernels
