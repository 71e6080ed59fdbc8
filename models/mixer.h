#pragma once

// The mixer contract (shared/DESIGN.md §5, Zoology's made explicit). A sequence mixer maps
// (B, L, D) to (B, L, D) causally: output t depends on inputs 0..t only. A state mixer acts on
// each position independently. Both are built by the registry (models/registry.h).

#include <torch/nn/module.h>
#include <torch/types.h>

namespace zoolab {

class MixerImpl : public torch::nn::Module {
 public:
  // u: (B, L, D) -> (B, L, D).
  virtual torch::Tensor forward(const torch::Tensor& u) = 0;

  // Floats of recurrent state needed to process a sequence of `seq_len` tokens, as Zoology's
  // `state_size` defines it for this mixer (reference/zoology-port.md §2.2-2.3); 0 for state mixers.
  virtual int64_t state_size(int64_t /*seq_len*/) const { return 0; }

  // An extra term for the training loss (e.g. a selector's sparsity penalty); undefined if none.
  virtual torch::Tensor auxiliary_loss() { return {}; }
};

using MixerPtr = std::shared_ptr<MixerImpl>;

}  // namespace zoolab
