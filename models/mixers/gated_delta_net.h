#pragma once

// Gated DeltaNet, Zoology's `GatedDeltaNet` (docs/reference.md#gated_delta_net; Zoology's
// zoology/mixers/gated_delta_net.py, after flash-linear-attention's layer; Yang et al. 2024, "Gated Delta
// Networks: Improving Mamba2 with Delta Rule"):
//   head_dim = d_model / num_heads (floor), key_dim = num_heads · head_dim, value_dim = key_dim · expand_v
//   q, k, v = SiLU(ShortConv(q_proj u)), ...   split into H heads; q, k L2-normalised per head
//   β = σ(b_proj u),  g = -exp(A_log) · softplus(a_proj u + dt_bias)   (per head and position, g ≤ 0)
//   o = gated delta rule(q, k, v, β, g) (kernels/delta_rule.h, scale head_dim^-1/2)
//   y = o_proj(RMSNorm(o) · SiLU(g_proj u))  per head (use_gate), or o_proj(RMSNorm(o))
// Parameter names match Zoology's state dict: q_proj, k_proj, v_proj, b_proj, a_proj, A_log, D, dt_bias,
// q_conv1d, k_conv1d, v_conv1d, g_proj, o_norm, o_proj. D (H,) is initialised to ones and, as in Zoology,
// never used by the forward: kept so that state dicts match, frozen since it gets no gradient.

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/mixers/short_convolution.h"
#include "models/registry.h"
#include "models/rms_norm.h"

namespace zoolab {

struct GatedDeltaNetOptions {
  explicit GatedDeltaNetOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  // head_v_dim = head_dim · expand_v, which must be a whole number (Zoology's default 2 is an int).
  TORCH_ARG(double, expand_v) = 2.0;
  TORCH_ARG(int64_t, num_heads) = 6;
  TORCH_ARG(bool, use_gate) = true;
  TORCH_ARG(bool, use_short_conv) = true;  // only true, as in Zoology
  TORCH_ARG(int64_t, conv_size) = 4;
  TORCH_ARG(bool, conv_bias) = false;  // stored, never used (as in Zoology)
  TORCH_ARG(double, norm_eps) = 1e-5;
};

class GatedDeltaNetImpl : public MixerImpl {
 public:
  explicit GatedDeltaNetImpl(const GatedDeltaNetOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Zoology's: the K×V state per head, num_heads · head_k_dim · head_v_dim.
  // Forward writes no member and draws no randomness; no auxiliary loss (engine/train/row_shards.h).
  bool row_shardable() const override { return true; }
  int64_t state_size(int64_t /*seq_len*/) const override {
    return m_options.num_heads() * m_head_k_dim * m_head_v_dim;
  }

  const GatedDeltaNetOptions& options() const { return m_options; }

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr};
  torch::nn::Linear b_proj{nullptr}, a_proj{nullptr};  // (D -> H) each
  torch::Tensor A_log;                                 // (H,): log of the decay rate A ~ U(0, 16)
  torch::Tensor D;                                     // (H,): ones, unused by the forward (see above)
  torch::Tensor dt_bias;  // (H,): softplus⁻¹ of a step size log-uniform in [0.001, 0.1]
  CausalShortConv q_conv1d{nullptr}, k_conv1d{nullptr}, v_conv1d{nullptr};
  torch::nn::Linear g_proj{nullptr};        // only with use_gate
  RMSNorm o_norm{nullptr};                  // without use_gate
  SwishGatedRMSNorm o_norm_gated{nullptr};  // with use_gate (registered as "o_norm")
  torch::nn::Linear o_proj{nullptr};

 private:
  GatedDeltaNetOptions m_options;
  int64_t m_head_k_dim = 0, m_head_v_dim = 0;
};
TORCH_MODULE(GatedDeltaNet);

MixerSpec gated_delta_net_spec();

}  // namespace zoolab
