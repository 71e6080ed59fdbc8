#pragma once

// Causal linear attention as Based's "linear" view computes it (docs/reference.md#based):
//   y_i = (q_i · Σ_{j≤i} k_j v_jᵀ) / (q_i · Σ_{j≤i} k_j + eps)
// for feature-mapped queries and keys. The plain-torch form (the reference below, Zoology's cumsum
// view) materialises the running sums at every position, a (B, H, L, hd, E) tensor: 150 MiB for a
// Figure 2 batch (B 16, L 512, E 73, hd 64) and as much again for its gradient. The kernel keeps
// one running (E, hd) state and (E,) key sum per (batch, head) instead, as the recurrent form of
// the mixer does, and computes the gradients by hand: a second forward sweep for dq and a reverse
// sweep with running sums of q gᵀ for dk and dv. Memory O(B·H·E·hd) beyond inputs and outputs.

#include <utility>

#include <torch/types.h>

namespace zoolab::kernels {

// q, k: (B, H, L, E), v: (B, H, L, hd), all the same floating dtype. Returns y: (B, H, L, hd);
// differentiable with respect to q, k and v (once: the backward is not itself differentiable).
// CPU float/double run the kernel; tensors on other devices take the chunked form; other dtypes on
// the CPU fall back to the reference.
torch::Tensor causal_linear_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      double eps);

// The same, also returning the normaliser q_i · Σ_{j≤i} k_j + eps: (B, H, L), itself differentiable.
std::pair<torch::Tensor, torch::Tensor> causal_linear_attention_with_normaliser(const torch::Tensor& q,
                                                                                const torch::Tensor& k,
                                                                                const torch::Tensor& v,
                                                                                double eps);

// The chunk length the chunked form takes when the dispatchers above choose it.
constexpr int64_t kCausalLinearAttentionChunk = 64;

// The chunked form (Katharopoulos et al. 2020's linear attention in the chunkwise-parallel form of
// Yang et al. 2024, GLA §3 without gates), for devices where per-position work is a launch per step
// (any device and floating dtype). Within a chunk of `chunk_size` positions, the causally masked
// (q kᵀ) product applied to v (and summed, for the normaliser); between chunks, the (E, hd) state
// Σ k vᵀ and the (E,) key sum of all earlier chunks, an exclusive prefix sum over chunks (one cumsum,
// no loop), read by q. Memory O(B·H·L·(chunk + E·hd / chunk)); gradients by autograd through it.
// Returns {y (B, H, L, hd), normaliser (B, H, L)} as causal_linear_attention_with_normaliser.
std::pair<torch::Tensor, torch::Tensor> causal_linear_attention_chunked(
    const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, double eps,
    int64_t chunk_size = kCausalLinearAttentionChunk);

// The plain-torch cumsum formula (Based's linear view before this kernel).
torch::Tensor causal_linear_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                                const torch::Tensor& v, double eps);

}  // namespace zoolab::kernels
