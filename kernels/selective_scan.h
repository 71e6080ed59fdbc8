#pragma once

// Mamba's selective scan (docs/reference.md#mamba; mamba_ssm's `selective_scan_ref`, which
// Zoology vendors in zoology/mixers/mamba_ssm/selective_scan_interface.py): a diagonal linear
// recurrence whose step size, input and output maps depend on the position. Per batch b, channel d
// and state n:
//   Δ_t   = softplus(delta_t + delta_bias)            (or without softplus / without the bias)
//   x_t,n = exp(Δ_t · A_n) · x_{t-1},n + Δ_t · B_n,t · u_t        (x_{-1} = 0)
//   y_t   = Σ_n C_n,t · x_t,n + D · u_t
//   out_t = y_t · silu(z_t)                            (when z is given)
// The fast CPU path runs the recurrence row by row (one (batch, channel) pair per task) and never
// materialises the (B, D, L, N) tensors; its backward re-runs the forward scan of each row into a
// small buffer and then scans in reverse (the adjoint recurrence h_t = C_t·g_t + exp(Δ_{t+1}A)·h_{t+1}).

#include <torch/types.h>

namespace zoolab::kernels {

// u: (B, D, L), delta: (B, D, L), A: (D, N), B: (B, N, L), C: (B, N, L); optional (pass an undefined
// tensor): D: (D,), z: (B, D, L), delta_bias: (D,). All of one floating dtype. Returns out (B, D, L),
// differentiable with respect to every tensor argument. float and double tensors on the CPU take the
// fast path; tensors on other devices take selective_scan_chunked; other dtypes on the CPU take
// selective_scan_reference.
torch::Tensor selective_scan(const torch::Tensor& u, const torch::Tensor& delta, const torch::Tensor& A,
                             const torch::Tensor& B, const torch::Tensor& C, const torch::Tensor& D,
                             const torch::Tensor& z, const torch::Tensor& delta_bias, bool delta_softplus);

// The chunk length selective_scan_chunked uses when selective_scan dispatches to it.
constexpr int64_t kSelectiveScanChunk = 16;

// The largest pairwise-decay tensor selective_scan_chunked builds, in bytes: its chunk is shortened
// until B·D·L·N·chunk elements fit (4 GiB: a chunk of 8 for Figure 2's Mamba at L 512, B 128, D 128,
// N 16 in float).
constexpr int64_t kSelectiveScanPairwiseBytes = int64_t{4} << 30;

// The chunk length selective_scan_chunked takes for these sizes: chunk_size, shortened to the
// sequence and to the pairwise budget above (at least 1).
int64_t selective_scan_chunk_length(int64_t batch, int64_t dim, int64_t len, int64_t nstate,
                                    int64_t element_size, int64_t chunk_size);

// The same recurrence chunkwise, for devices where a loop over positions is a launch per step (any
// device and floating dtype; the default for non-CPU tensors). As SSD and GLA chunk it: within a chunk,
// the cumulative log decay cs_t,n = Σ Δ_s A_n, the masked pairwise decays exp(cs_t,n - cs_s,n) for
// s ≤ t (the difference masked before the exp, so no positive exponent is ever taken), applied to
// Δ_s B_s,n u_s, a (c×c)·(c) product per (batch, channel, state) done as one broadcast product and sum;
// between chunks the (B, D, N) state is carried, one step per chunk. The pairwise decays are a
// (B, D, N, L, c) tensor, N·c times the size of u, and c times the arithmetic of the recurrence (slower
// than the step-by-step loop on a CPU, where the fast kernel runs anyway; a few bandwidth-bound passes
// on a GPU instead of L launches): the chunk is shortened so the tensor stays within
// kSelectiveScanPairwiseBytes (selective_scan_chunk_length). Gradients by autograd through it.
torch::Tensor selective_scan_chunked(const torch::Tensor& u, const torch::Tensor& delta,
                                     const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& C,
                                     const torch::Tensor& D, const torch::Tensor& z,
                                     const torch::Tensor& delta_bias, bool delta_softplus,
                                     int64_t chunk_size = kSelectiveScanChunk);

// The same in plain differentiable torch ops with a loop over L, as selective_scan_ref (real A,
// input-dependent B and C of shape (B, N, L)), but in the inputs' dtype rather than always fp32.
torch::Tensor selective_scan_reference(const torch::Tensor& u, const torch::Tensor& delta,
                                       const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& C,
                                       const torch::Tensor& D, const torch::Tensor& z,
                                       const torch::Tensor& delta_bias, bool delta_softplus);

}  // namespace zoolab::kernels
