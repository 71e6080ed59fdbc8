#pragma once

// Gated linear attention (GLA; Yang et al. 2024, "Gated Linear Attention Transformers with
// Hardware-Efficient Training"; docs/reference.md#gla). Per (batch, head), with a per-key-dimension
// forget gate α_t = exp(g_t) ∈ (0, 1]^K:
//   S_t = diag(α_t) S_{t-1} + k_t v_tᵀ   (S: K × V, S_0 = 0),   o_t = scale · S_tᵀ q_t,
// the recurrence of flash-linear-attention's fla/ops/gla/naive.py (naive_recurrent_gla).
//
// The fast form is the paper's chunkwise-parallel algorithm with its secondary chunking (fla's
// fla/ops/gla/chunk.py), written with batched matrix products over chunks of `chunk_size` positions
// and sub-chunks of 16, so that it runs unchanged on any LibTorch device:
//   * inter-chunk: the state carried from chunk to chunk (a loop over chunks, not positions);
//   * across sub-chunks of a chunk: q and k are rescaled relative to the first position of the query's
//     sub-chunk, so both factors are decays of at most 1;
//   * within a sub-chunk: the weights q_i·(k_j ⊙ exp(G_i - G_j)), j ≤ i, are formed pairwise from the
//     log-space differences of the cumulative gates G.
// Nothing divides by a cumulative decay (which underflows for strong gates: g = -5 per step gives
// exp(-320) over a chunk of 64), and the largest intermediate is O(L · 16 · K) per head, not O(L² · K).
// Backward: autograd through these matrix products.

#include <cstdint>

#include <torch/types.h>

namespace zoolab::kernels {

// q, k, g: (B, H, L, K), v: (B, H, L, V), one floating dtype and device; g is the log forget gate
// (normally ≤ 0). Returns o: (B, H, L, V), differentiable with respect to q, k, v and g. chunk_size
// must be a positive multiple of 16, or below 16 (then it is its own single sub-chunk); lengths that
// are not a multiple of it are padded at the end with zeros (an inert gate: α = 1) and cut.
torch::Tensor gated_linear_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& g, double scale, int64_t chunk_size = 64);

// The step-by-step recurrence above in plain differentiable torch ops (one step per position).
torch::Tensor gated_linear_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                               const torch::Tensor& v, const torch::Tensor& g, double scale);

}  // namespace zoolab::kernels
