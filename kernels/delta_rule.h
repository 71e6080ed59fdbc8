#pragma once

// The (gated) delta rule, DeltaNet's and Gated DeltaNet's recurrence (docs/reference.md#delta_net,
// docs/reference.md#gated_delta_net), in flash-linear-attention's convention (fla/ops/delta_rule/naive.py
// `delta_rule_recurrence`, fla/ops/gated_delta_rule/naive.py `naive_recurrent_gated_delta_rule`): per
// (batch, head) a K×V state S, S_0 = 0,
//   S_t = a_t S_{t-1} + β_t k_t (v_t - a_t S_{t-1}ᵀ k_t)ᵀ
//       = a_t (I - β_t k_t k_tᵀ) S_{t-1} + β_t k_t v_tᵀ
//   o_t = S_tᵀ q_t · scale
// with a_t = exp(g_t) the gate (a per-head scalar log decay g_t ≤ 0; no g: a_t = 1, the plain delta
// rule). q and k are used as given: DeltaNet's L2 normalisation of q and k (fla's
// `use_qk_l2norm_in_kernel`) is the mixers' business (models/mixers/delta_net.cpp), not the kernel's.
//
// gated_delta_rule computes it chunkwise (Yang et al. 2024, "Parallelizing Linear Transformers with the
// Delta Rule over Sequence Length", the WY/UT form of fla's `delta_rule_chunkwise`; gated: Yang et al.
// 2024, "Gated Delta Networks", fla's `naive_chunk_gated_delta_rule`): per chunk one unit lower-triangular
// solve, then batched matrix products over all chunks at once; only the K×V state is carried from chunk
// to chunk, by one (K×K)·(K×V) product per chunk. Decays are handled in log space (exp of differences of
// cumulative log decays, masked to i ≥ j), so a strong gate underflows to 0 and never divides. Built
// from tensor ops alone (matmul, tril, cumsum, exp, linalg_solve_triangular), so it runs on any LibTorch
// device; gradients by autograd through it. Memory O(B·H·L·(C + K + V) + B·H·(L/C)·K·(K + V)).
// Speed caveat: where a chunk's cumulative log decay falls below about -87 (float), the factors pass
// through the subnormal range, which x86 CPUs compute several times more slowly unless flush-to-zero is
// on (bench_delta_rule's "strong_gate" case); the results are exact either way.

#include <torch/types.h>

namespace zoolab::kernels {

// q, k: (B, H, L, K), v: (B, H, L, V), beta: (B, H, L), g: (B, H, L) or undefined (plain delta rule),
// all the same floating dtype and device. Returns o: (B, H, L, V), differentiable with respect to q, k,
// v, beta and g. chunk_size: positions per chunk (≥ 1; a sequence shorter than it is one chunk, a
// length that is not a multiple of it is padded with inert positions: k = v = 0, β = 0, g = 0).
torch::Tensor gated_delta_rule(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& beta, const torch::Tensor& g, double scale,
                               int64_t chunk_size = 64);

// The weights the rule applies to v, (B, H, L, L): o_t = Σ_{j≤t} A[t, j] v_j. The recurrence is linear in v
// given q, k, β and g, and every value channel follows the same K×K transitions, so A is the output
// for v = the L×L identity. Not row-stochastic (entries of any sign). For the inspector: O(L²) per head.
torch::Tensor gated_delta_rule_weights(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& beta, const torch::Tensor& g, double scale,
                                       int64_t chunk_size = 64);

// The step-by-step recurrence above, one position at a time (fla's naive recurrences).
torch::Tensor gated_delta_rule_reference(const torch::Tensor& q, const torch::Tensor& k,
                                         const torch::Tensor& v, const torch::Tensor& beta,
                                         const torch::Tensor& g, double scale);

}  // namespace zoolab::kernels
