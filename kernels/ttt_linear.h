#pragma once

// TTT-Linear's inner loop (docs/reference.md#ttt; Sun et al. 2024, "Learning to (Learn at Test Time):
// RNNs with Expressive Hidden States", and Zoology's zoology/mixers/ttt.py, TTTLinear.ttt). Per
// (batch, head) the hidden state is a linear model f(x) = x W + b, W: (F, F), b: (F,), trained while
// the sequence is read: the sequence is cut into mini-batches of C tokens; for mini-batch n, with
// (W₀, b₀) the state at its start, every token j of it takes the gradient of the self-supervised loss
//   ℓ_j(W, b) = ½ ‖LN(k_j W + b) - (v_j - k_j)‖²,   LN(z) = γ ⊙ (z - μ(z)) / √(σ²(z) + ε) + β,
// at (W₀, b₀) (mini-batch gradient descent: all gradients at the mini-batch's start), and token i's
// output uses the state after the first i + 1 of them,
//   W_i = W₀ - η_row[i] Σ_{j ≤ i} η_col[j] ∇_W ℓ_j,   b_i likewise,   z_i = q_i W_i + b_i,
// with token-wise learning rates η_row (Zoology's token_eta, the per-position 1/(i+1) + learnable
// offset) and η_col (Zoology's ttt_lr_eta, base_lr·σ(x·w_lr + b_lr)/F). The next mini-batch starts
// from the last token's state. Returned: z (B, H, L, F), the inner model's prediction before the
// output layer norm (ttt_layer_norm below) and the residual the mixer adds.
//
// ttt_linear computes each mini-batch in the dual form (Zoology's use_dual_form branch, the paper's
// Sec. 2.5): with g_j = ∂ℓ_j/∂z_j (one closed-form layer-norm backward per token, ln_fused_l2_bwd),
//   z = q W₀ + b₀ - (η ∘ tril(q kᵀ + 1)) g,   W ← W₀ - (η_row[C-1] η_col ∘ k)ᵀ g,
// batched matrix products over (B, H) and a loop over the L / C mini-batches carrying (W, b).
// ttt_linear_reference is the primal form token by token: it accumulates Σ η_col[j] k_jᵀ g_j and
// forms W_i explicitly for every token.
//
// Sequence lengths that are not a multiple of C: Zoology runs the ⌊L/C⌋ full mini-batches, then the
// remainder as one shorter mini-batch (its token_eta the first L mod C entries) starting from their
// final state. Within a mini-batch token i only sees tokens j ≤ i, so this equals padding the
// remainder with inert tokens (zero q, k, v and learning rates) to a full mini-batch and cutting the
// output, which is what ttt_linear does.
//
// fla's fla/ops/ttt/naive.py (ttt_linear) is the same inner loop with η_col ≡ 1 (its eta, per token,
// plays η_row), q scaled by its `scale`, and its output o + LN(o) instead of Zoology's q + LN(o):
// the inner loop, which this function is, agrees.

#include <torch/types.h>

namespace zoolab::kernels {

// q, k, v: (B, H, L, F); eta_row, eta_col: (B, H, L); w0: (H, F, F) or (B, H, F, F); b0: (H, F) or
// (B, H, F); ln_weight, ln_bias: (H, F) (γ and β of the loss's layer norm); all the same floating dtype.
// mini_batch_size: C ≥ 1 (it is part of the model, not a tuning knob: it decides which gradients each
// token sees). eps: the layer norm's. Returns z: (B, H, L, F), differentiable with respect to every
// tensor argument (autograd through the mini-batch loop: memory O(L/C · F²) per (batch, head)).
// inner_loss, if given, receives (B, H, ⌈L/C⌉) the mean over the mini-batch's tokens of ℓ_j at the
// state the mini-batch starts from (how well the inner model predicts before learning from it), detached.
torch::Tensor ttt_linear(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                         const torch::Tensor& eta_row, const torch::Tensor& eta_col, const torch::Tensor& w0,
                         const torch::Tensor& b0, const torch::Tensor& ln_weight,
                         const torch::Tensor& ln_bias, int64_t mini_batch_size = 16, double eps = 1e-6,
                         torch::Tensor* inner_loss = nullptr);

// The primal form, token by token (same arguments and result).
torch::Tensor ttt_linear_reference(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                   const torch::Tensor& eta_row, const torch::Tensor& eta_col,
                                   const torch::Tensor& w0, const torch::Tensor& b0,
                                   const torch::Tensor& ln_weight, const torch::Tensor& ln_bias,
                                   int64_t mini_batch_size = 16, double eps = 1e-6);

// Per-head layer norm over the last axis (Zoology's ln_fwd): x (B, H, L, F), weight, bias (H, F).
torch::Tensor ttt_layer_norm(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias,
                             double eps = 1e-6);

}  // namespace zoolab::kernels
