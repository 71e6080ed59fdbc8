#pragma once

// TTT, Zoology's `TTT` mixer (docs/reference.md#ttt; Sun et al. 2024, "Learning to (Learn at Test Time):
// RNNs with Expressive Hidden States"; Zoology's zoology/mixers/ttt.py, TTTBase, TTTLinear and TTTMLP).
// The hidden state of each head is a model trained on the sequence as it is read: linear
// (ttt_layer_type "linear", kernels/ttt_linear.h) or a two-layer GELU MLP of hidden width 4F ("mlp",
// kernels/ttt_mlp.h):
//   q, k, v = x W_q, x W_k, x W_v                   (B, L, D) -> (B, H, L, F), F = D / H
//   q, k ← rotary(q, k) at position t mod C        (interleaved pairs, C the mini-batch size)
//   η_col[t] = base_lr · σ(x_t · w_lr[h] + b_lr[h]) / F,   η_row[t] = max(0, 1/(t mod C + 1) + τ[t mod C])
//   z = ttt_linear(q, k, v, η_row, η_col, W1, b1, γ, β, C)   (or ttt_mlp with W1, b1, W2, b2)
//   y = o_proj(gate · post_norm(concat_h(q + LN_{γ,β}(z))))   (gate = gelu_tanh(g_proj x) if use_gate)
//
// Parameter names are Zoology's state dict: the TTT wrapper holds its TTTLinear / TTTMLP as `ttt_layer`
// (not a Block: Zoology's TTT mixer builds the layer directly, so Block's pre-conv, RMSNorms and SwiGLU MLP
// do not exist here), whose parameters are learnable_token_idx (C), q_proj, k_proj (absent with share_qk),
// v_proj, o_proj, conv_q and conv_k (with share_qk), learnable_ttt_lr_weight (H, 1, D),
// learnable_ttt_lr_bias (H, 1), ttt_norm_weight, ttt_norm_bias (H, F), g_proj (with use_gate), post_norm
// (LayerNorm D), W1 (H, F, F), b1 (H, 1, F); for "mlp" W1 (H, F, 4F), b1 (H, 1, 4F), W2 (H, 4F, F),
// b2 (H, 1, F).

#include <string>

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/mixers/short_convolution.h"
#include "models/registry.h"

namespace zoolab {

struct TttOptions {
  explicit TttOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, layer_idx) = 0;
  TORCH_ARG(int64_t, num_heads) = 4;
  // "linear" (TTT-Linear) or "mlp" (TTT-MLP).
  TORCH_ARG(std::string, ttt_layer_type) = "linear";
  TORCH_ARG(double, ttt_base_lr) = 1.0;
  TORCH_ARG(int64_t, mini_batch_size) = 16;
  TORCH_ARG(bool, use_gate) = false;
  TORCH_ARG(bool, share_qk) = false;
  // Accepted as Zoology accepts them and, as there, without effect: the pre-conv and the RMSNorm eps
  // belong to Zoology's Block, which its TTT mixer never builds; scan_checkpoint_group_size is not
  // passed on by the wrapper (and only trades memory for time).
  TORCH_ARG(bool, pre_conv) = false;
  TORCH_ARG(double, rms_norm_eps) = 1e-6;
  TORCH_ARG(int64_t, scan_checkpoint_group_size) = 0;
  // Taps of conv_q and conv_k (only built with share_qk).
  TORCH_ARG(int64_t, conv_kernel) = 4;
  TORCH_ARG(double, rope_theta) = 10000.0;
};

// Zoology's TTTLinear / TTTMLP: the parameters only (TttImpl::forward computes with them), registered
// under Zoology's names so that the mixer's state dict reads ttt_layer.<name>.
class TttLayerImpl : public torch::nn::Module {
 public:
  explicit TttLayerImpl(const TttOptions& options);

  torch::Tensor learnable_token_idx;  // (C): offsets added to the per-position rates 1/(i+1)
  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  CausalShortConv conv_q{nullptr}, conv_k{nullptr};  // share_qk only
  torch::Tensor learnable_ttt_lr_weight;             // (H, 1, D)
  torch::Tensor learnable_ttt_lr_bias;               // (H, 1)
  torch::Tensor ttt_norm_weight;      // (H, F): γ of the inner loss's and the output's layer norm
  torch::Tensor ttt_norm_bias;        // (H, F): β
  torch::nn::Linear g_proj{nullptr};  // use_gate only
  torch::nn::LayerNorm post_norm{nullptr};
  torch::Tensor W1;  // (H, F, F), mlp (H, F, 4F): the inner model's initial (first-layer) weights
  torch::Tensor b1;  // (H, 1, F), mlp (H, 1, 4F): and bias
  torch::Tensor W2;  // mlp only: (H, 4F, F)
  torch::Tensor b2;  // mlp only: (H, 1, F)
};
TORCH_MODULE(TttLayer);

class TttImpl : public MixerImpl {
 public:
  explicit TttImpl(const TttOptions& options);

  // u: (B, L, D) -> (B, L, D), any L (a last partial mini-batch as Zoology computes it:
  // kernels/ttt_linear.h). Capture: the inner model is not linear in the values (its layer norms, and later
  // mini-batches start from a state learnt from earlier values), so there are no exact attention weights to
  // show. Captured instead: "eta" (B, H, L), the learnt token-wise learning rate η_col (how much each token
  // is learnt from), and "inner_loss" (B, H, ⌈L/C⌉), the inner model's reconstruction loss on each mini-batch
  // before learning from it (falling along the sequence when the inner model learns).
  torch::Tensor forward(const torch::Tensor& u) override;

  // Zoology's TTT.state_size: the inner model's parameters per head, independent of the sequence length:
  // linear W1, b1: H·F·(F + 1); mlp W1, b1, W2, b2: H·(8F² + 5F).
  // Forward writes no member and draws no randomness; no auxiliary loss (engine/train/row_shards.h).
  bool row_shardable() const override { return true; }
  int64_t state_size(int64_t seq_len) const override;

  const TttOptions& options() const { return m_options; }

  TttLayer ttt_layer{nullptr};

 private:
  TttOptions m_options;
};
TORCH_MODULE(Ttt);

MixerSpec ttt_spec();

}  // namespace zoolab
