#pragma once

// H3, "Hungry Hungry Hippos" (docs/reference.md#h3; Zoology's mixers/h3/h3.py): keys pass
// through a shift SSM (a learned N-tap FIR filter) plus a skip, are multiplied with the values (an
// outer product within each head of head_dim channels), the products pass through a diagonal SSM
// (S4D) per head plus a skip, and the queries contract the result:
//   k ← K_shift ⋆ k + D_k ⊙ k
//   kv[h, d1, d2] = k[h·hd + d1] ⊙ v[h·hd + d2]
//   y[h, d1, d2] = K_diag[h] ⋆ kv[h, d1, d2] + D[h] ⊙ kv[h, d1, d2]
//   o[d2·H + h] = Σ_d1 q[h·hd + d1] ⊙ y[h, d1, d2]          (Zoology's "(d h)" channel order)
//   out = output_linear(o)
// Module and parameter names match Zoology's state dict (q_proj, k_proj, v_proj, ssm_k_kernel.kernel.*,
// ssm_k_D, kernel.kernel.*, D, output_linear).

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/mixers/ssm_kernels.h"
#include "models/registry.h"

namespace zoolab {

struct H3Options {
  H3Options(int64_t d_model, int64_t l_max) : d_model_(d_model), l_max_(l_max) {}
  TORCH_ARG(int64_t, d_model);
  // Longest kernel; sequences longer than this are convolved with kernels of l_max taps (Zoology's
  // L_kernel = min(L, l_max)).
  TORCH_ARG(int64_t, l_max);
  TORCH_ARG(int64_t, d_state) = 64;  // N: taps of the shift SSM, 2 × the diagonal SSM's complex modes
  TORCH_ARG(int64_t, head_dim) = 1;  // must divide d_model; H = d_model / head_dim heads
};

class H3Impl : public MixerImpl {
 public:
  explicit H3Impl(const H3Options& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Zoology's H3.state_size: d_model · d_state, whatever the sequence length.
  int64_t state_size(int64_t /*seq_len*/) const override { return m_options.d_model() * m_options.d_state(); }
  // Its dropout option is accepted and unused, as in Zoology.
  bool row_shardable() const override { return true; }

  torch::nn::Linear q_proj{nullptr};
  torch::nn::Linear k_proj{nullptr};
  torch::nn::Linear v_proj{nullptr};
  SSKernelShift shift_kernel{nullptr};  // "ssm_k_kernel.kernel": over the d_model key channels
  torch::Tensor ssm_k_D;                // (D): skip weight of the shift SSM
  SSKernelDiag diag_kernel{nullptr};    // "kernel.kernel": one S4D kernel per head
  torch::Tensor D;                      // (H): skip weight of the diagonal SSM
  torch::nn::Linear output_linear{nullptr};

 private:
  H3Options m_options;
};
TORCH_MODULE(H3);

MixerSpec h3_spec();

}  // namespace zoolab
