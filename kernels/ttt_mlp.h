#pragma once

// TTT-MLP's inner loop (docs/reference.md#ttt; Sun et al. 2024, and Zoology's zoology/mixers/ttt.py,
// TTTMLP.ttt): kernels/ttt_linear.h with a two-layer inner model per (batch, head),
//   f(x) = gelu_tanh(x W1 + b1) W2 + b2,   W1: (F, E), W2: (E, F) (Zoology: E = 4F),
// trained by the same mini-batch gradient steps on ℓ_j = ½ ‖LN(f(k_j)) - (v_j - k_j)‖² with the same
// token-wise learning rates η_row[i] η_col[j]. Within a mini-batch (state (W1, b1, W2, b2) at its
// start, Z1 = k W1 + b1, X2 = gelu(Z1), g2 = ∂ℓ/∂Z2 (the closed-form layer-norm backward), g1 = (g2
// W2ᵀ) ⊙ gelu'(Z1)), token i's output is the prediction of the model after the first i + 1 steps:
//   Z1̄ = q W1 + b1 - (η ∘ tril(q kᵀ + 1)) g1,   X2̄ = gelu(Z1̄),   z = X2̄ W2 + b2 - (η ∘ tril(X2̄ X2ᵀ + 1)) g2,
// and the state moves on by the last row of η. gelu' is Zoology's gelu_bwd, the derivative of the
// tanh approximation with its rounded constants (0.79788456, 0.1070322243), kept as they are because
// the reference trains with exactly that step. Remainders as in ttt_linear.h (inert padding).
//
// ttt_mlp is the dual form above (a loop over mini-batches of batched matrix products);
// ttt_mlp_reference the primal form token by token (explicit W1_i, b1_i, W2_i, b2_i per token).

#include <torch/types.h>

namespace zoolab::kernels {

// q, k, v: (B, H, L, F); eta_row, eta_col: (B, H, L); w1: (H, F, E), b1: (H, E), w2: (H, E, F),
// b2: (H, F); ln_weight, ln_bias: (H, F); all one floating dtype. Returns z: (B, H, L, F) (before the
// output layer norm, kernels::ttt_layer_norm), differentiable with respect to every tensor argument,
// first order only (the loop over mini-batches is one autograd node whose hand-written backward is not
// itself recorded).
// inner_loss as in ttt_linear.
torch::Tensor ttt_mlp(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                      const torch::Tensor& eta_row, const torch::Tensor& eta_col, const torch::Tensor& w1,
                      const torch::Tensor& b1, const torch::Tensor& w2, const torch::Tensor& b2,
                      const torch::Tensor& ln_weight, const torch::Tensor& ln_bias,
                      int64_t mini_batch_size = 16, double eps = 1e-6, torch::Tensor* inner_loss = nullptr);

// The primal form, token by token (same arguments and result).
torch::Tensor ttt_mlp_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                const torch::Tensor& eta_row, const torch::Tensor& eta_col,
                                const torch::Tensor& w1, const torch::Tensor& b1, const torch::Tensor& w2,
                                const torch::Tensor& b2, const torch::Tensor& ln_weight,
                                const torch::Tensor& ln_bias, int64_t mini_batch_size = 16,
                                double eps = 1e-6);

}  // namespace zoolab::kernels
