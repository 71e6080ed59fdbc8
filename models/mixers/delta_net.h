#pragma once

// DeltaNet, Zoology's `DeltaNet` (docs/reference.md#delta_net; Zoology's zoology/mixers/delta_net.py, after
// flash-linear-attention's layer; Yang et al. 2024, "Parallelizing Linear Transformers with the Delta Rule
// over Sequence Length"):
//   q, k = act(ShortConv(q_proj u)), v = SiLU(ShortConv(v_proj u))   split into H heads
//   q, k L2-normalised per head (qk_norm "l2") or divided by their sum ("sum")
//   β = σ(b_proj u) (1 without use_beta; ×2 with allow_neg_eigval)
//   o = delta rule(q, k, v, β) (kernels/delta_rule.h, scale head_k_dim^-1/2)
//   y = o_proj(RMSNorm(o) per head)   or   o_proj(RMSNorm(o) · SiLU(g_proj u)) with use_gate
// Parameter names match Zoology's state dict: q_proj, k_proj, v_proj, b_proj, q_conv1d, k_conv1d,
// v_conv1d, g_proj, o_norm, o_proj.

#include <string>
#include <vector>

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/mixers/short_convolution.h"
#include "models/registry.h"
#include "models/rms_norm.h"

namespace zoolab {

struct DeltaNetOptions {
  explicit DeltaNetOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(double, expand_k) = 1.0;  // key_dim = int(d_model · expand_k)
  TORCH_ARG(double, expand_v) = 1.0;  // value_dim = int(d_model · expand_v)
  TORCH_ARG(int64_t, num_heads) = 4;
  TORCH_ARG(bool, use_beta) = true;
  TORCH_ARG(bool, use_gate) = false;
  // Zoology raises when it is false ("ShortConvolution is crucial to the performance"); so does this.
  TORCH_ARG(bool, use_short_conv) = true;
  TORCH_ARG(int64_t, conv_size) = 4;
  // Stored but never passed to the convolutions by Zoology, whose ShortConvolutions have no bias
  // either way; kept so configs load, and with the same (no) effect.
  TORCH_ARG(bool, conv_bias) = false;
  TORCH_ARG(bool, allow_neg_eigval) = false;
  TORCH_ARG(std::string, qk_activation) = "silu";  // silu, relu, elu (elu + 1), identity
  TORCH_ARG(std::string, qk_norm) = "l2";          // l2, sum
  TORCH_ARG(double, norm_eps) = 1e-5;
};

class DeltaNetImpl : public MixerImpl {
 public:
  explicit DeltaNetImpl(const DeltaNetOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Zoology's: the delta rule's K×V state per head, num_heads · head_k_dim · head_v_dim (the short
  // convolutions' last conv_size - 1 inputs are not counted, as in Zoology).
  // Forward writes no member and draws no randomness; no auxiliary loss (engine/train/row_shards.h).
  bool row_shardable() const override { return true; }
  int64_t state_size(int64_t /*seq_len*/) const override {
    return m_options.num_heads() * m_head_k_dim * m_head_v_dim;
  }

  const DeltaNetOptions& options() const { return m_options; }

  torch::nn::Linear q_proj{nullptr}, k_proj{nullptr}, v_proj{nullptr};
  torch::nn::Linear b_proj{nullptr};  // (D -> H), only with use_beta
  CausalShortConv q_conv1d{nullptr}, k_conv1d{nullptr}, v_conv1d{nullptr};
  torch::nn::Linear g_proj{nullptr};        // only with use_gate
  RMSNorm o_norm{nullptr};                  // without use_gate
  SwishGatedRMSNorm o_norm_gated{nullptr};  // with use_gate (registered as "o_norm")
  torch::nn::Linear o_proj{nullptr};

 private:
  DeltaNetOptions m_options;
  int64_t m_head_k_dim = 0, m_head_v_dim = 0;
};
TORCH_MODULE(DeltaNet);

MixerSpec delta_net_spec();

// Shared with Gated DeltaNet (models/mixers/gated_delta_net.cpp).
namespace delta_net_detail {

// fla's l2norm (fla/modules/l2norm.py, what `use_qk_l2norm_in_kernel` applies to q and k):
// x / sqrt(Σ x² + 1e-6) over the last dimension.
torch::Tensor l2_normalise(const torch::Tensor& x);

// The kwargs both delta-rule mixers take alike: use_short_conv, conv_size, conv_bias, norm_eps and mode.
std::vector<ParamSpec> shared_params(int64_t conv_size, double norm_eps);

}  // namespace delta_net_detail

}  // namespace zoolab
