#pragma once

// Gated Linear Attention, Zoology's `GatedLinearAttention` (zoology/mixers/gla.py, the layer of Yang et
// al. 2024 as flash-linear-attention writes it; docs/reference.md#gla). Per head h, with d_k = key_dim/H
// and d_v = value_dim/H:
//   q, k, v = q_proj(u), k_proj(u), v_proj(u)     (optional short causal convolutions + SiLU on each;
//                                                   optional feature map on q and k)
//   g = logsigmoid(gk_proj(u)) / gate_logit_normalizer   (low rank: Linear(D, r) then Linear(r, key_dim)),
//       optionally clamped from below at clamp_min
//   S_t = diag(exp(g_t)) S_{t-1} + k_t v_tᵀ,  o_t = S_tᵀ q_t / √d_k   (kernels/gated_linear_attention.h)
//   y = o_proj(RMSNorm_head(o) ⊙ swish(g_proj(u)))     (without the output gate: o_proj(RMSNorm_head(o)))
// With num_kv_heads < num_heads, k, v and the gate have num_kv_heads heads, each shared by
// num_heads / num_kv_heads consecutive query heads. Parameter names follow Zoology's state dict: q_proj,
// k_proj, v_proj, g_proj, q_conv1d, k_conv1d, v_conv1d, gk_proj.0, gk_proj.1, o_proj, and
// g_norm_swish_gate (swish gate fused with the norm) or g_norm.

#include <optional>
#include <string>

#include <torch/arg.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/mixers/short_convolution.h"
#include "models/registry.h"
#include "models/rms_norm.h"

namespace zoolab {

struct GlaOptions {
  explicit GlaOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  // key_dim = int(d_model · expand_k), value_dim = int(d_model · expand_v), as Zoology truncates them.
  TORCH_ARG(double, expand_k) = 0.5;
  TORCH_ARG(double, expand_v) = 1.0;
  TORCH_ARG(int64_t, num_heads) = 4;
  // None in Zoology: one key/value head per query head.
  TORCH_ARG(std::optional<int64_t>, num_kv_heads) = std::nullopt;
  // "none" or a key of fla's ACT2FN (fla/modules/activations.py) taking one tensor.
  TORCH_ARG(std::string, feature_map) = "none";
  TORCH_ARG(bool, use_short_conv) = false;
  TORCH_ARG(int64_t, conv_size) = 4;
  // Accepted and unused, as in Zoology's gla.py, which never passes it to its short convolutions.
  TORCH_ARG(bool, conv_bias) = false;
  TORCH_ARG(bool, use_output_gate) = true;
  TORCH_ARG(std::string, gate_fn) = "swish";
  TORCH_ARG(bool, elementwise_affine) = true;
  TORCH_ARG(double, norm_eps) = 1e-5;
  TORCH_ARG(double, gate_logit_normalizer) = 16;
  TORCH_ARG(int64_t, gate_low_rank_dim) = 16;
  TORCH_ARG(std::optional<double>, clamp_min) = std::nullopt;
  TORCH_ARG(bool, fuse_norm) = true;
  // Positions per chunk of the kernel (not a Zoology option: its `mode` picks a GPU kernel, all of which
  // compute the same recurrence).
  TORCH_ARG(int64_t, chunk_size) = 64;
};

class GlaImpl : public MixerImpl {
 public:
  explicit GlaImpl(const GlaOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Zoology's count: key_dim · d_v (the H matrices S of d_k × d_v) plus, with short convolutions,
  // channels · conv_size of each of the three (fla's ShortConvolution.state_size). Independent of seq_len.
  // Forward writes no member and draws no randomness; no auxiliary loss (engine/train/row_shards.h).
  bool row_shardable() const override { return true; }
  int64_t state_size(int64_t /*seq_len*/) const override;

  const GlaOptions& options() const { return m_options; }
  int64_t key_dim() const { return m_key_dim; }
  int64_t value_dim() const { return m_value_dim; }
  int64_t head_k_dim() const { return m_key_dim / m_options.num_heads(); }
  int64_t head_v_dim() const { return m_value_dim / m_options.num_heads(); }

  torch::nn::Linear q_proj{nullptr};  // D -> key_dim
  torch::nn::Linear k_proj{nullptr};  // D -> key_dim / groups
  torch::nn::Linear v_proj{nullptr};  // D -> value_dim / groups
  torch::nn::Linear g_proj{nullptr};  // D -> value_dim (output gate), absent without use_output_gate
  CausalShortConv q_conv1d{nullptr};  // absent without use_short_conv
  CausalShortConv k_conv1d{nullptr};
  CausalShortConv v_conv1d{nullptr};
  torch::nn::Sequential gk_proj{nullptr};        // Linear(D, r, no bias), Linear(r, key_dim / groups)
  torch::nn::Linear o_proj{nullptr};             // value_dim -> D
  SwishGatedRMSNorm g_norm_swish_gate{nullptr};  // fused norm and swish gate
  RMSNorm g_norm{nullptr};                       // otherwise (absent without elementwise_affine)

 private:
  // The per-head norm of the recurrence's output o: (B, L, H, d_v) -> (B, L, value_dim), gated by g
  // ((B, L, value_dim), undefined without the output gate).
  torch::Tensor norm_and_gate(const torch::Tensor& o, const torch::Tensor& g);

  GlaOptions m_options;
  int64_t m_key_dim = 0;
  int64_t m_value_dim = 0;
  int64_t m_groups = 1;
  bool m_fuse_norm_and_gate = false;
};
TORCH_MODULE(Gla);

MixerSpec gla_spec();

}  // namespace zoolab
