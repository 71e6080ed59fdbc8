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
// fast path; anything else falls back to selective_scan_reference.
torch::Tensor selective_scan(const torch::Tensor& u, const torch::Tensor& delta, const torch::Tensor& A,
                             const torch::Tensor& B, const torch::Tensor& C, const torch::Tensor& D,
                             const torch::Tensor& z, const torch::Tensor& delta_bias, bool delta_softplus);

// The same in plain differentiable torch ops with a loop over L, as selective_scan_ref (real A,
// input-dependent B and C of shape (B, N, L)), but in the inputs' dtype rather than always fp32.
torch::Tensor selective_scan_reference(const torch::Tensor& u, const torch::Tensor& delta,
                                       const torch::Tensor& A, const torch::Tensor& B, const torch::Tensor& C,
                                       const torch::Tensor& D, const torch::Tensor& z,
                                       const torch::Tensor& delta_bias, bool delta_softplus);

}  // namespace zoolab::kernels
