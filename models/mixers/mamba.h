#pragma once

// Mamba (docs/reference.md#mamba; Zoology's mixers/mamba.py, the Mamba paper's selective SSM):
//   [x | z] = in_proj(u);  x = silu(causal depthwise conv1d(x));  [dt | B | C] = x_proj(x)
//   Δ = softplus(dt_proj(dt) + dt_proj.bias);  y = SSM_{A=-exp(A_log), Δ, B, C}(x) + D·x
//   out = out_proj(y · silu(z))
// This is Zoology's "slow path" (the one without the fused CUDA kernels); the recurrence runs in
// kernels/selective_scan. Module and parameter names match Zoology's state dict (in_proj, conv1d,
// x_proj, dt_proj, A_log, D, out_proj). Inside a Mamba block (models/mamba_block.h) it sits under
// "mixer"; as a sequence mixer of a transformer block, under "sequence_mixer".

#include <string>

#include <torch/arg.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

struct MambaOptions {
  explicit MambaOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, d_state) = 16;
  TORCH_ARG(int64_t, d_conv) = 4;
  TORCH_ARG(int64_t, expand) = 2;    // D_inner = expand · d_model
  TORCH_ARG(int64_t, dt_rank) = 0;   // 0: Zoology's "auto", ⌈d_model / 16⌉
  TORCH_ARG(double, dt_min) = 1e-3;  // initial Δ = softplus(bias) log-uniform in [dt_min, dt_max]
  TORCH_ARG(double, dt_max) = 0.1;
  TORCH_ARG(std::string, dt_init) = "random";  // dt_proj.weight: "random" uniform or "constant"
  TORCH_ARG(double, dt_scale) = 1.0;
  TORCH_ARG(double, dt_init_floor) = 1e-4;
  TORCH_ARG(bool, conv_bias) = true;
  TORCH_ARG(bool, bias) = false;  // biases of in_proj and out_proj
};

class MambaImpl : public MixerImpl {
 public:
  explicit MambaImpl(const MambaOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Zoology's Mamba.state_size: 2·d_model·d_state, whatever the sequence length.
  int64_t state_size(int64_t /*seq_len*/) const override {
    return 2 * m_options.d_model() * m_options.d_state();
  }
  bool row_shardable() const override { return true; }

  int64_t d_inner() const { return m_d_inner; }
  int64_t dt_rank() const { return m_dt_rank; }

  torch::nn::Linear in_proj{nullptr};   // D -> 2·D_inner
  torch::nn::Conv1d conv1d{nullptr};    // depthwise over D_inner channels, d_conv taps
  torch::nn::Linear x_proj{nullptr};    // D_inner -> dt_rank + 2·d_state, no bias
  torch::nn::Linear dt_proj{nullptr};   // dt_rank -> D_inner, with the inverse-softplus bias
  torch::nn::Linear out_proj{nullptr};  // D_inner -> D
  torch::Tensor A_log;                  // (D_inner, d_state): A = -exp(A_log)
  torch::Tensor D;                      // (D_inner,): skip weight

 private:
  MambaOptions m_options;
  int64_t m_d_inner = 0;
  int64_t m_dt_rank = 0;
};
TORCH_MODULE(Mamba);

MixerSpec mamba_spec();

}  // namespace zoolab
