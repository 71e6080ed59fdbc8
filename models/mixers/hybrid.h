#pragma once

// Zoology's Hybrid (mixers/hybrid.py; docs/reference.md#hybrid): layer i runs the sequence
// mixer configs[i % n], built with the layer's own context, so one model alternates mixers (every
// Based-paper model is Hybrid[BaseConv(kernel_size 3), X]). The chosen mixer is registered as
// "mixer", as Zoology's attribute is, so its weights are named sequence_mixer.mixer.<...> in both.

#include <torch/nn/pimpl.h>

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

class HybridImpl : public MixerImpl {
 public:
  explicit HybridImpl(MixerPtr chosen);

  // u: (B, L, D) -> (B, L, D)
  torch::Tensor forward(const torch::Tensor& u) override { return mixer->forward(u); }
  // The chosen mixer's state and loss (Zoology delegates state_size the same way).
  int64_t state_size(int64_t seq_len) const override { return mixer->state_size(seq_len); }
  torch::Tensor auxiliary_loss() override { return mixer->auxiliary_loss(); }
  bool row_shardable() const override { return mixer->row_shardable(); }
  void set_capture(bool on) override { mixer->set_capture(on); }
  bool capture_on() const override { return mixer->capture_on(); }
  const std::map<std::string, torch::Tensor>& captured() const override { return mixer->captured(); }

  MixerPtr mixer;
};

MixerSpec hybrid_spec();

}  // namespace zoolab
