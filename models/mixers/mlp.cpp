#include "models/mixers/mlp.h"

#include <torch/torch.h>

namespace zoolab {

MLPImpl::MLPImpl(int64_t d_model, int64_t hidden_mult) {
  fc1 = register_module("fc1", torch::nn::Linear(d_model, d_model * hidden_mult));
  fc2 = register_module("fc2", torch::nn::Linear(d_model * hidden_mult, d_model));
}

torch::Tensor MLPImpl::forward(const torch::Tensor& x) {
  return fc2(torch::gelu(fc1(x)));
}

MixerSpec mlp_spec() {
  MixerSpec spec;
  spec.name = "mlp";
  spec.kind = MixerKind::State;
  spec.summary = "Position-wise MLP: fc2(gelu(fc1 x)) (Zoology MLP)";
  spec.params = {
      ParamSpec::integer("hidden_mult")
          .defaults_to(1)
          .at_least(1)
          .at_most(64)
          .described("Hidden width as a multiple of d_model"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    return std::make_shared<MLPImpl>(context.d_model, kwargs.at("hidden_mult").get<int64_t>());
  };
  return spec;
}

}  // namespace zoolab
