#pragma once

// Mamba-2's state-space duality (SSD) scan (docs/reference.md#mamba2; Dao & Gu 2024, "Transformers are
// SSMs", section 6; mamba_ssm's ssd_combined.py reference path, the same math as fla's
// fla/ops/simple_gla/naive.py with scalar gates). Per batch row b and head h, with a scalar log decay
// a_t = A_h · dt_t per step (A_h < 0, dt_t ≥ 0) and a (P, N) state:
//   h_t = exp(a_t) · h_{t-1} + dt_t · x_t B_tᵀ,    y_t = h_t C_t,    h_{-1} = 0,
// so y_t = Σ_{s ≤ t} (C_t · B_s) · exp(a_{s+1} + … + a_t) · dt_s · x_s. B and C are shared by the
// heads of a group: head h reads group h / (H / G) (mamba_ssm's "(g h)" head order).
//
// The softplus of dt, its bias and limits, the D skip and the z gate belong to the mixer
// (models/mixers/mamba2.cpp); these functions take the final step sizes.

#include <torch/types.h>

namespace zoolab::kernels {

// x: (B, H, L, P); dt: (B, H, L); A: (H,); B, C: (B, G, L, N) with H a multiple of G.
// Returns y: (B, H, L, P). Chunkwise parallel (chunk_size ≥ 1 positions a chunk): within a chunk the
// masked exp(segsum) matrix (T×T, differences of cumulative log decays, never a division by a cumulative
// decay) weights C·Bᵀ·dt; between chunks a loop over chunks carries the (P, N) state. Built from matmuls
// and elementwise ops only, so any LibTorch device runs it; gradients by autograd through it.
torch::Tensor ssd_scan(const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A,
                       const torch::Tensor& B, const torch::Tensor& C, int64_t chunk_size = 64);

// The same recurrence step by step (one vectorised step per position), the reference of the tests.
torch::Tensor ssd_scan_reference(const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A,
                                 const torch::Tensor& B, const torch::Tensor& C);

// The weights the scan applies to x, explicitly: (B, H, L, L) with entry [t, s] =
// (C_t · B_s) · exp(a_{s+1} + … + a_t) · dt_s for s ≤ t and zero above the diagonal, so
// y[b, h, t] = Σ_s weights[b, h, t, s] · x[b, h, s]. O(L²) memory per head: for inspection and tests.
torch::Tensor ssd_weights(const torch::Tensor& dt, const torch::Tensor& A, const torch::Tensor& B,
                          const torch::Tensor& C);

}  // namespace zoolab::kernels
