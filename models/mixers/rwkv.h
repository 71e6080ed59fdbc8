#pragma once

// RWKV v4 time mixing, Zoology's `RWKVTimeMixer` (docs/reference.md#rwkv; Zoology's
// mixers/rwkv.py with the CUDA kernel rwkv/v4/wkv_cuda.cu):
//   xx_t = x_{t-1} (0 at t = 0),  xk = x·μk + xx·(1 - μk)  (likewise xv, xr),
//   k = key(xk), v = value(xv), r = receptance(xr)  (Linear, no bias),
//   y = output(σ(r) ⊙ wkv(time_decay, time_first, k, v)),
// wkv being the per-channel normalised weighted average of kernels/wkv.h. Parameter names match
// Zoology's state dict: time_decay, time_first, time_mix_k, time_mix_v, time_mix_r, key, value,
// receptance, output.

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

struct RwkvOptions {
  RwkvOptions(int64_t d_model, int64_t l_max) : d_model_(d_model), l_max_(l_max) {}
  TORCH_ARG(int64_t, d_model);
  // Zoology keeps l_max as `ctx_len` and never reads it (its CUDA kernel instead refuses T > 1024,
  // a GPU limit this CPU kernel does not have).
  TORCH_ARG(int64_t, l_max);
  // The depth the per-layer initialisation assumes; Zoology's default 12, which configs never
  // override, so it is unrelated to the model's n_layers.
  TORCH_ARG(int64_t, n_layer) = 12;
  TORCH_ARG(int64_t, layer_idx) = 0;
};

class RwkvImpl : public MixerImpl {
 public:
  explicit RwkvImpl(const RwkvOptions& options);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override;
  // Zoology's class defines no state_size. Counted as Zoology counts its other recurrent mixers
  // (rwkv7: the WKV matrix state; mamba: the SSM state), i.e. the recurrence's memory only: the
  // numerator and denominator of the weighted average per channel, 2·d, independent of seq_len.
  // Left out, as rwkv7's count leaves them out: the token shift's previous input (d more floats)
  // and the running maximum exponent, which only keeps the exponentials finite.
  int64_t state_size(int64_t /*seq_len*/) const override { return 2 * m_options.d_model(); }
  bool row_shardable() const override { return true; }

  const RwkvOptions& options() const { return m_options; }

  torch::Tensor time_decay;  // (D): w = -exp(time_decay) is the per-step log decay
  torch::Tensor time_first;  // (D): u, the bonus of the current token
  torch::Tensor time_mix_k;  // (1, 1, D): μk, share of x_t (vs x_{t-1}) in the key input
  torch::Tensor time_mix_v;  // (1, 1, D)
  torch::Tensor time_mix_r;  // (1, 1, D)
  torch::nn::Linear key{nullptr};
  torch::nn::Linear value{nullptr};
  torch::nn::Linear receptance{nullptr};
  torch::nn::Linear output{nullptr};

 private:
  RwkvOptions m_options;
};
TORCH_MODULE(Rwkv);

MixerSpec rwkv_spec();

}  // namespace zoolab
