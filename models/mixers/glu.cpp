#include "models/mixers/glu.h"

#include <torch/torch.h>

namespace zoolab {

GLUImpl::GLUImpl(int64_t d_model, int64_t hidden_mult) {
  const int64_t hidden = d_model * hidden_mult;
  fc1 = register_module("fc1", torch::nn::Linear(d_model, hidden));
  fc2 = register_module("fc2", torch::nn::Linear(d_model, hidden));
  fc3 = register_module("fc3", torch::nn::Linear(hidden, d_model));
}

// gelu is the exact (erf) form, F.gelu's default in Zoology.
torch::Tensor GLUImpl::forward(const torch::Tensor& x) {
  return fc3(fc1(x) * torch::gelu(fc2(x)));
}

MixerSpec glu_spec() {
  MixerSpec spec;
  spec.name = "glu";
  spec.kind = MixerKind::State;
  spec.summary = "Position-wise gated MLP: fc3(fc1 x * gelu(fc2 x)) (Zoology GLU)";
  spec.params = {
      ParamSpec::integer("hidden_mult")
          .defaults_to(1)
          .at_least(1)
          .at_most(64)
          .described("Hidden width as a multiple of d_model"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<GLUImpl>(context.d_model, kwargs.at("hidden_mult").get<int64_t>());
  };
  return spec;
}

}  // namespace zoolab
