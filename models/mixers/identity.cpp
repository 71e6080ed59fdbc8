#include "models/mixers/identity.h"

namespace zoolab {

MixerSpec identity_spec() {
  MixerSpec spec;
  spec.name = "identity";
  spec.kind = MixerKind::State;
  spec.summary = "No state mixer (torch.nn.Identity in Zoology's paper configs)";
  spec.factory = [](const MixerContext&, const nlohmann::json&) -> MixerPtr {
    return std::make_shared<IdentityMixerImpl>();
  };
  return spec;
}

}  // namespace zoolab
