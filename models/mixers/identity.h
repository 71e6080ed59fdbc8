#pragma once

// The identity state mixer: every Figure 2 model uses it (docs/reference.md#model-fields). The block
// still adds LN2(residual) to the stream afterwards; that quirk lives in the backbone.

#include "models/mixer.h"
#include "models/registry.h"

namespace zoolab {

class IdentityMixerImpl : public MixerImpl {
 public:
  torch::Tensor forward(const torch::Tensor& u) override { return u; }
  bool row_shardable() const override { return true; }
};

MixerSpec identity_spec();

}  // namespace zoolab
