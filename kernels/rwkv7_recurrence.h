#pragma once

// RWKV-7's generalised delta rule (docs/reference.md#rwkv7; Peng et al. 2025, "RWKV-7 Goose"; fla's
// fla/ops/rwkv7/chunk.py, which hands it to the diagonal-plus-low-rank (DPLR) delta rule of
// fla/ops/generalized_delta_rule/dplr). Per batch row and head, with a state S of V × K (zero at t = 0):
//   S_t = S_{t-1} (diag(exp(w_t)) + a_t b_tᵀ) + v_t k_tᵀ,    o_t = S_t (scale · r_t),
// w_t being the per-key-channel log decay (w ≤ 0 keeps the decay in (0, 1]; RWKV-7 uses
// w = -e^{-0.5}·σ(·)). fla's naive reference fla/ops/generalized_delta_rule/dplr/naive.py writes the
// same recurrence on the transposed K × V state with alpha = a, beta = b, gk = w.
//
// The chunked form (rwkv7_recurrence) follows fla's DPLR chunk algorithm: inside a chunk the products
// of the transitions (diag(exp(w)) + a bᵀ) are represented WY-like by the vectors u_i = S_{i-1} a_i,
// which solve one unit lower-triangular system per chunk; the chunks are then chained by the state
// alone (u = u0 + W S, S' = …), one chunk after another. Two ways to form the intra-chunk decays
// exp(G_i - G_j) (G the log decay summed from the chunk start, G_i ≤ G_j):
//  - factored through one reference point per chunk and key channel (the middle of G's range),
//    e^{G_i - ref} · e^{ref - G_j}, so that the four score matrices are one matrix product, with a
//    hand-written backward that runs the chunk chain in reverse. The factors reach e^{spread/2}, spread
//    the largest range of G inside a chunk: used while that stays far from the dtype's range (float:
//    spread ≤ 60, double: ≤ 600; RWKV-7's own decays, w ≥ -e^{-0.5}, give at most 39 over 64 steps);
//  - otherwise sub-chunked: pairwise decays only inside sub-chunks of up to 8 positions and factors
//    through the sub-chunk boundaries across them, every factor ≤ 1 (strong decays underflow to 0
//    instead of overflowing), differentiated by autograd.

#include <cstdint>

#include <torch/types.h>

namespace zoolab::kernels {

// r, w_log, k, a, b: (B, H, L, K); v: (B, H, L, V). Returns o: (B, H, L, V). Differentiable in every
// input (first order: the factored form's backward is hand-written). Chunks of `chunk_size` positions
// (a sequence shorter than a chunk is one chunk; otherwise the length is padded at the end with inert
// positions: zero inputs, decay 1). The sub-chunked form (strong decays) pads a short sequence to a
// multiple of 8 only and groups positions in sub-chunks of up to 8 that divide the chunk. One
// host-side read (the decays' spread) picks the form. Throws std::invalid_argument on bad shapes or
// chunk_size < 1.
torch::Tensor rwkv7_recurrence(const torch::Tensor& r, const torch::Tensor& w_log, const torch::Tensor& k,
                               const torch::Tensor& v, const torch::Tensor& a, const torch::Tensor& b,
                               double scale, int64_t chunk_size = 64);

// The same recurrence step by step (one vectorised update per position): the reference.
torch::Tensor rwkv7_recurrence_reference(const torch::Tensor& r, const torch::Tensor& w_log,
                                         const torch::Tensor& k, const torch::Tensor& v,
                                         const torch::Tensor& a, const torch::Tensor& b, double scale);

}  // namespace zoolab::kernels
