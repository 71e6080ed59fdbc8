#pragma once

// RWKV-7 "Goose" time mixing, Zoology's `RWKV7Attention` (docs/reference.md#rwkv7; Zoology's
// zoology/mixers/rwkv7.py, on flash-linear-attention's chunk_rwkv7; Peng et al. 2025). Per head of
// width h (key = value = d_model split in H heads), with the token shift x̃_t = x_{t-1} (0 at t = 0) and
// x_c = x + (x̃ - x) ⊙ x_x[c] for the six inputs c = r, w, k, v, a, g:
//   r = r_proj(x_r),  k₀ = k_proj(x_k),  v = v_proj(x_v),
//   w = -e^{-0.5} σ(w_lora(x_w))  (log decay, in (-0.61, 0)),  α = σ(a_lora(x_a)),  g = g_lora(x_g),
//   κ̂ = l2-normalised (k₀ ⊙ k_k) per head,  k = k₀ + k₀ ⊙ (α - 1) ⊙ k_a,
//   S_t = S_{t-1} (diag(e^{w_t}) - κ̂_t (κ̂_t ⊙ α_t)ᵀ) + v_t k_tᵀ,  o_t = S_t r_t (kernels/rwkv7_recurrence.h),
//   y = o_proj((GroupNorm_H(o) + (Σ_h r ⊙ k ⊙ r_k) v) ⊙ g).
// Parameter names match Zoology's state dict: x_x, k_k, k_a, r_k, r_proj, k_proj, v_proj, o_proj,
// w_lora, v_lora (layers other than 0), a_lora, g_lora, g_norm.
//
// The value residual: Zoology builds v_lora for every layer but the first, yet its forward only mixes
// towards the first layer's v when handed a `v_first`, which its LanguageModel never passes; so v_lora
// exists (and is exported) but never acts, and its parameters get no gradient. Kept as is.

#include <optional>

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/group_norm.h"
#include "models/lora.h"
#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

struct Rwkv7Options {
  Rwkv7Options(int64_t d_model, int64_t l_max) : d_model_(d_model), l_max_(l_max) {}
  TORCH_ARG(int64_t, d_model);
  // Accepted and unused, as in Zoology (its **kwargs swallow it).
  TORCH_ARG(int64_t, l_max);
  // Zoology takes head_dim or num_heads, not both. Unset here: head_dim 64 (d_model if smaller).
  TORCH_ARG(std::optional<int64_t>, head_dim) = std::nullopt;
  TORCH_ARG(std::optional<int64_t>, num_heads) = std::nullopt;
  TORCH_ARG(int64_t, decay_low_rank_dim) = 64;
  TORCH_ARG(int64_t, gate_low_rank_dim) = 128;
  TORCH_ARG(int64_t, a_low_rank_dim) = 64;
  TORCH_ARG(int64_t, v_low_rank_dim) = 16;
  TORCH_ARG(bool, elementwise_affine) = true;
  // The group norm's epsilon is head_dim · norm_eps, as Zoology's.
  TORCH_ARG(double, norm_eps) = 1e-5;
  TORCH_ARG(int64_t, layer_idx) = 0;
};

class Rwkv7Impl : public MixerImpl {
 public:
  explicit Rwkv7Impl(const Rwkv7Options& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Zoology's count: the WKV state, one head_dim × head_dim matrix per head, H·h² floats, independent of
  // seq_len. Left out (as Zoology leaves them out): the token shift's previous input (d_model floats).
  // Forward writes no member and draws no randomness; no auxiliary loss (engine/train/row_shards.h).
  bool row_shardable() const override { return true; }
  int64_t state_size(int64_t /*seq_len*/) const override { return m_heads * m_head_dim * m_head_dim; }

  const Rwkv7Options& options() const { return m_options; }
  int64_t num_heads() const { return m_heads; }
  int64_t head_dim() const { return m_head_dim; }

  torch::Tensor x_x;  // (6, D): per-input share of the previous token (r, w, k, v, a, g)
  torch::Tensor k_k;  // (D): scales k before it is normalised into κ̂
  torch::Tensor k_a;  // (D): how much α rescales k
  torch::Tensor r_k;  // (H, h): the current token's bonus weights
  torch::nn::Linear r_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr}, o_proj{nullptr};
  LoRA w_lora{nullptr}, v_lora{nullptr}, a_lora{nullptr}, g_lora{nullptr};
  GroupNorm g_norm{nullptr};

 private:
  Rwkv7Options m_options;
  int64_t m_heads = 1;
  int64_t m_head_dim = 1;
};
TORCH_MODULE(Rwkv7);

MixerSpec rwkv7_spec();

}  // namespace zoolab
