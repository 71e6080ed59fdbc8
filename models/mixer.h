#pragma once

// The mixer contract (Zoology's, made explicit: docs/architecture.md#a-sequence-mixer). A sequence mixer maps
// (B, L, D) to (B, L, D) causally: output t depends on inputs 0..t only. A state mixer acts on
// each position independently. Both are built by the registry (models/registry.h).

#include <map>
#include <string>

#include <torch/nn/module.h>
#include <torch/types.h>

namespace zoolab {

class MixerImpl : public torch::nn::Module {
 public:
  // u: (B, L, D) -> (B, L, D).
  virtual torch::Tensor forward(const torch::Tensor& u) = 0;
  // The output at some positions only: positions (N,) int64, flat indices b·L + i into B·L, strictly
  // increasing -> (N, D), those rows of forward(u). The model asks it of its last block, whose other
  // positions no loss reads (models/language_model.h). This default runs the whole forward; a mixer
  // overrides it where the rows alone cost less, drawing the same randomness in the same order.
  virtual torch::Tensor forward_at(const torch::Tensor& u, const torch::Tensor& positions) {
    const auto y = forward(u);  // (B, L, D)
    return y.reshape({-1, y.size(-1)}).index_select(0, positions);
  }

  // Floats of recurrent state needed to process a sequence of `seq_len` tokens, as Zoology's
  // `state_size` defines it for this mixer (docs/reference.md#state-size); 0 for state mixers.
  virtual int64_t state_size(int64_t /*seq_len*/) const { return 0; }

  // An extra term for the training loss (e.g. a selector's sparsity penalty); undefined if none.
  virtual torch::Tensor auxiliary_loss() { return {}; }

  // Whether a training step may run this mixer on row shards of its batch in parallel threads
  // (engine/train/row_shards.h): forward and backward write no member of the mixer, draw randomness
  // only through kernels::dropout_seed_for_rows, and leave no auxiliary loss. False until a mixer's
  // author has checked all three.
  virtual bool row_shardable() const { return false; }

  // The inspector's view of a mixer (docs/architecture.md#what-evaluation-records): while capture is on,
  // forward keeps the patterns it computes, detached, by name: "attention" (B, H, L, L) row-stochastic mixing
  // weights, "filter" (D, K) convolution taps, "decay" (D,) per-channel forgetting, and so on. Off by
  // default, so training pays nothing. Composite mixers (hybrid) override both to reach their child.
  virtual void set_capture(bool on) {
    m_capture = on;
    m_captured.clear();
  }
  virtual const std::map<std::string, torch::Tensor>& captured() const { return m_captured; }
  // Whether capture is on (a composite mixer asks its child); a capturing mixer writes members in forward.
  virtual bool capture_on() const { return m_capture; }

 protected:
  bool capturing() const { return m_capture; }
  // Stores `value` (detached) under `name` when capture is on.
  void capture(const std::string& name, const torch::Tensor& value) {
    if (m_capture) {
      m_captured[name] = value.detach();
    }
  }
  // For a mixer whose output is linear in its values given everything else, o = W v per head (the
  // modern recurrences, docs/reference.md#the-modern-mixers): W (B, H, L, L) itself as "weights", signed
  // and unnormalised, and as "attention" each position's share of its row's magnitude, |W_ij| / Σ_j |W_ij|,
  // row-stochastic like every "attention" (rows of zeros stay zero).
  void capture_value_weights(const torch::Tensor& weights) {
    if (m_capture) {
      const auto magnitude = weights.detach().abs();
      m_captured["weights"] = weights.detach();
      m_captured["attention"] = magnitude / magnitude.sum(-1, /*keepdim=*/true).clamp_min(1e-30);
    }
  }

 private:
  bool m_capture = false;
  std::map<std::string, torch::Tensor> m_captured;
};

using MixerPtr = std::shared_ptr<MixerImpl>;

}  // namespace zoolab
