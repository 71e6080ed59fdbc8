#pragma once

// Gated linear attention (GLA; Yang et al. 2024, "Gated Linear Attention Transformers with
// Hardware-Efficient Training"; docs/reference.md#gla). Per (batch, head), with a per-key-dimension
// forget gate α_t = exp(g_t) ∈ (0, 1]^K:
//   S_t = diag(α_t) S_{t-1} + k_t v_tᵀ   (S: K × V, S_0 = 0),   o_t = scale · S_tᵀ q_t,
// the recurrence of flash-linear-attention's fla/ops/gla/naive.py (naive_recurrent_gla).
//
// The fast form is the paper's chunkwise-parallel algorithm with its secondary chunking (fla's
// fla/ops/gla/chunk.py): chunks of `chunk_size` positions split into sub-chunks of 8, written with
// batched tensor ops over all (batch, head, chunk, sub-chunk) at once, so that it runs unchanged on any
// LibTorch device:
//   * inter-chunk: the state carried from chunk to chunk (a loop over chunks of one (K, V) update each);
//   * across sub-chunks of a chunk: the state factorised through the sub-chunk boundaries: each
//     sub-chunk's contribution (K × V), carried over the sub-chunks of every chunk at once (a loop over
//     the sub-chunks of one chunk), read by queries rescaled to their sub-chunk's start;
//   * within a sub-chunk: the weights q_i·(k_j ⊙ exp(G_i - G_j)), j < i, formed pairwise from log-space
//     sums of the gates, one distance i - j at a time over the whole sequence.
// Nothing divides by a cumulative decay (which underflows for strong gates: g = -5 per step gives
// exp(-320) over a chunk of 64), and the largest intermediate is O(L · K) per head and distance.
// Backward: hand-written, the same structure run in reverse for the state gradients; the gate's gradient
// from the identity dg_t = Σ_{s ≥ t} (q_s ⊙ dq_s - k_s ⊙ dk_s) (fla's chunk GLA backward).

#include <cstdint>

#include <torch/types.h>

namespace zoolab::kernels {

// q, k, g: (B, H, L, K), v: (B, H, L, V), one floating dtype and device; g is the log forget gate
// (normally ≤ 0). Returns o: (B, H, L, V), differentiable once with respect to q, k, v and g (the
// backward is hand-written and is not itself differentiable). chunk_size
// must be a positive multiple of 16, or below 16 (then it is its own single sub-chunk); lengths that
// are not a multiple of it are padded at the end with zeros (an inert gate: α = 1) and cut.
torch::Tensor gated_linear_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                     const torch::Tensor& g, double scale, int64_t chunk_size = 64);

// The step-by-step recurrence above in plain differentiable torch ops (one step per position).
torch::Tensor gated_linear_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                               const torch::Tensor& v, const torch::Tensor& g, double scale);

}  // namespace zoolab::kernels
