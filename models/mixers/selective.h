#pragma once

// Input-dependent sparse attention, the hybrid idea of Zoology §5 (`zoology/mixers/selective.py`;
// docs/reference.md#selective). Causal softmax attention (as MHA) runs at every position, and a
// scalar selector s_i decides how much of it position i takes:
//   training: y = s ⊙ out_proj(attention(x)) + x
//   eval:     y = x + the same term at the k positions of highest s only (k = ⌈√L⌉), zero elsewhere.
// The three reference classes are one mixer with a `selector` kwarg:
//   "sigmoid" (SigmoidLookups, the default): s = σ(selecting x) with the auxiliary loss
//             selection_penalty · relu(mean(s) − n_lookups / L) (n_lookups = √L unless given);
//   "softmax" (SelectiveLookups): s = softmax over positions of selecting x;
//   "sma"     (SMA): s = softmax(selection_proj x / temperature)[1], temperature = √d · alpha (trainable).
// Parameter names are the reference's: Wqkv, selecting | selection_proj, out_proj, temperature.
//
// Causality (the mixer contract, models/mixer.h). The reference's eval path picks the top k of the
// WHOLE sequence, so a later token can push an earlier one out of the selection: eval outputs leak
// the future. The softmax selector normalises over the whole sequence and leaks in both modes. We
// keep both by default, for parity. `causal_topk` = true replaces the eval selection by its streaming
// form: position i is kept when fewer than k earlier positions score at least s_i (so the first k
// always are, and at least k are kept in all); with the sigmoid or sma selector that path is causal.
// The wandb.log calls of the reference are not ported.

#include <string>

#include <torch/arg.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

struct SelectiveOptions {
  explicit SelectiveOptions(int64_t d_model) : d_model_(d_model) {}
  TORCH_ARG(int64_t, d_model);
  TORCH_ARG(int64_t, num_heads) = 1;
  TORCH_ARG(bool, bias) = true;  // of Wqkv only, as in the reference
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(std::string, selector) = "sigmoid";
  TORCH_ARG(double, selection_penalty) = 0.001;  // sigmoid only
  // sigmoid only; 0 stands for the reference's None: √L in the penalty, ⌈√L⌉ kept at eval.
  TORCH_ARG(int64_t, n_lookups) = 0;
  TORCH_ARG(double, alpha) = 0.3;  // sma only: initial temperature √d · alpha
  TORCH_ARG(bool, causal_topk) = false;
};

class SelectiveImpl : public MixerImpl {
 public:
  explicit SelectiveImpl(const SelectiveOptions& options);

  // x: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& x) override;
  // Zoology defines none for these classes; the attention inside keeps the keys and values of every
  // position, as MHA: 2·d·L.
  int64_t state_size(int64_t seq_len) const override { return 2 * m_options.d_model() * seq_len; }
  // The sigmoid selector's penalty from the last training forward; undefined otherwise (the other
  // selectors have none, and eval sets none, as in the reference).
  torch::Tensor auxiliary_loss() override { return m_auxiliary_loss; }

  const SelectiveOptions& options() const { return m_options; }
  // Positions kept at eval for a sequence of `seq_len` (min(k, L)).
  int64_t lookups_kept(int64_t seq_len) const;

  torch::nn::Linear Wqkv{nullptr};
  torch::nn::Linear selecting{nullptr};       // sigmoid, softmax: d -> 1
  torch::nn::Linear selection_proj{nullptr};  // sma: d -> 2
  torch::nn::Linear out_proj{nullptr};
  torch::Tensor temperature;  // sma: (1,)

 private:
  // x: (B, L, D) -> s: (B, L, 1)
  torch::Tensor selection(const torch::Tensor& x);
  // s: (B, L, 1) -> (B, L, 1) 1 at the positions kept at eval, 0 elsewhere.
  torch::Tensor eval_mask(const torch::Tensor& s) const;

  SelectiveOptions m_options;
  torch::Tensor m_mask;  // (L, L) additive causal mask, cached
  torch::Tensor m_auxiliary_loss;
};
TORCH_MODULE(Selective);

MixerSpec selective_spec();

}  // namespace zoolab
