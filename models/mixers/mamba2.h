#pragma once

// Mamba-2 (docs/reference.md#mamba2; Zoology's zoology/mixers/mamba2.py `Mamba2`, Dao & Gu 2024,
// "Transformers are SSMs"):
//   [z0 | x0 | z | xBC | dt] = in_proj(u)
//   [x | B | C] = silu(causal depthwise conv1d(xBC));  Δ = softplus(dt + dt_bias), clamped to dt_limit
//   y = SSD_{A=-exp(A_log), Δ, B, C}(x) + D·x       (kernels/ssd: one scalar decay per head and step)
//   y = RMSNorm_gated(y, z)  (or y · silu(z) without rmsnorm);  y = [silu(z0)·x0 | y]
//   out = out_proj(y)
// This is the reference's non-fused path (use_mem_eff_path=False) with the SSD scan in plain tensor ops.
// Module and parameter names match Zoology's state dict (in_proj, conv1d, dt_bias, A_log, D, norm.weight,
// out_proj). Inside a Mamba-2 block (model.block_type "mamba2", models/mamba_block.h) it sits under "mixer".

#include <torch/arg.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

// mamba_ssm's gated RMSNorm (ops/triton/layernorm_gated.py, rms_norm_ref), no bias, weight init ones:
//   norm_before_gate = false:  out = rms_g(x · silu(z)) · weight
//   norm_before_gate = true:   out = rms_g(x) · weight · silu(z)
// where rms_g normalises each group of group_size consecutive channels by its own root mean square:
// x / sqrt(mean_group(x²) + eps). Parameter name "weight".
class GroupedGatedRMSNormImpl : public torch::nn::Module {
 public:
  GroupedGatedRMSNormImpl(int64_t dim, int64_t group_size, bool norm_before_gate, double eps);
  // x, z: (..., dim) -> (..., dim)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& z);

  torch::Tensor weight;  // (dim,)

 private:
  int64_t m_group_size;
  bool m_norm_before_gate;
  double m_eps;
};
TORCH_MODULE(GroupedGatedRMSNorm);

struct Mamba2Options {
  explicit Mamba2Options(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, d_state) = 128;  // N, shared by the heads of a group
  TORCH_ARG(int64_t, d_conv) = 4;
  TORCH_ARG(double, conv_init) = 0.0;   // > 0: conv1d.weight ~ U(±conv_init); 0: PyTorch's default
  TORCH_ARG(int64_t, expand) = 2;       // d_inner = expand · d_model
  TORCH_ARG(int64_t, headdim) = 0;      // P; 0: 64, or d_ssm when that is narrower (see mamba2.cpp)
  TORCH_ARG(int64_t, d_ssm) = 0;        // channels through the SSM; 0: all of d_inner (rest: gated MLP)
  TORCH_ARG(int64_t, ngroups) = 1;      // G groups of (B, C)
  TORCH_ARG(double, A_init_min) = 1.0;  // A ~ U[A_init_min, A_init_max], stored as A_log = log A
  TORCH_ARG(double, A_init_max) = 16.0;
  TORCH_ARG(bool, D_has_hdim) = false;  // D per channel (d_ssm) rather than per head
  TORCH_ARG(bool, rmsnorm) = true;
  TORCH_ARG(bool, norm_before_gate) = false;
  TORCH_ARG(double, dt_min) = 1e-3;  // initial Δ = softplus(dt_bias) log-uniform in [dt_min, dt_max]
  TORCH_ARG(double, dt_max) = 0.1;
  TORCH_ARG(double, dt_init_floor) = 1e-4;
  TORCH_ARG(double, dt_limit_min) = 0.0;  // Δ clamped to [dt_limit_min, dt_limit_max]
  TORCH_ARG(double, dt_limit_max) = 0.0;  // 0: no upper limit (Zoology's inf)
  TORCH_ARG(bool, bias) = false;          // biases of in_proj and out_proj
  TORCH_ARG(bool, conv_bias) = true;
  TORCH_ARG(int64_t, chunk_size) = 64;  // SSD chunk length: speed only, same values
};

class Mamba2Impl : public MixerImpl {
 public:
  explicit Mamba2Impl(const Mamba2Options& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Zoology's Mamba2.state_size: 2·d_model·d_state whatever the sequence length, the same formula as
  // Mamba's. It counts the SSM state nheads·headdim·d_state = d_ssm·d_state at expand 2 and d_ssm =
  // d_inner (the defaults); it leaves out the convolution's d_conv-1 positions of d_ssm + 2·G·N channels.
  // Forward writes no member and draws no randomness; no auxiliary loss (engine/train/row_shards.h).
  bool row_shardable() const override { return true; }
  int64_t state_size(int64_t /*seq_len*/) const override {
    return 2 * m_options.d_model() * m_options.d_state();
  }

  int64_t d_inner() const { return m_d_inner; }
  int64_t d_ssm() const { return m_d_ssm; }
  int64_t headdim() const { return m_headdim; }
  int64_t nheads() const { return m_nheads; }

  torch::nn::Linear in_proj{nullptr};   // D -> 2·d_inner + 2·G·N + H
  torch::nn::Conv1d conv1d{nullptr};    // depthwise over d_ssm + 2·G·N channels, d_conv taps
  torch::Tensor dt_bias;                // (H,): softplus⁻¹ of the initial step sizes
  torch::Tensor A_log;                  // (H,): A = -exp(A_log)
  torch::Tensor D;                      // (H,) or (d_ssm,) with D_has_hdim: skip weight
  GroupedGatedRMSNorm norm{nullptr};    // over d_ssm, groups of d_ssm / G (absent without rmsnorm)
  torch::nn::Linear out_proj{nullptr};  // d_inner -> D

 private:
  Mamba2Options m_options;
  int64_t m_d_inner = 0;
  int64_t m_d_ssm = 0;
  int64_t m_headdim = 0;
  int64_t m_nheads = 0;
};
TORCH_MODULE(Mamba2);

MixerSpec mamba2_spec();

}  // namespace zoolab
