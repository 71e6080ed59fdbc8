#include "models/mixers/hybrid.h"

#include <torch/torch.h>

namespace zoolab {

HybridImpl::HybridImpl(MixerPtr chosen) {
  mixer = register_module("mixer", std::move(chosen));
}

MixerSpec hybrid_spec() {
  MixerSpec spec;
  spec.name = "hybrid";
  spec.kind = MixerKind::Sequence;
  spec.summary = "Layer i runs sequence mixer configs[i % n] (Zoology Hybrid)";
  // Zoology requires configs. Our default is the Based-paper pairing BaseConv(kernel_size 3) then
  // attention, so that every registered mixer builds from its defaults (forms, contract tests).
  const nlohmann::json default_configs = nlohmann::json::array({
      {{"name", "base_conv"}, {"kwargs", {{"kernel_size", 3}}}},
      {{"name", "attention"}, {"kwargs", nlohmann::json::object()}},
  });
  spec.params = {
      ParamSpec::mixer_list("configs")
          .defaults_to(default_configs)
          .described("Sequence mixers {\"name\", \"kwargs\"}; layer i uses configs[i % n]"),
  };
  spec.factory = [](const MixerContext& context, const nlohmann::json& kwargs) -> MixerPtr {
    // resolve_mixer_kwargs has checked given entries under their own paths (configs[i].kwargs.<key>);
    // build_mixer resolves the chosen one again, a no-op for those and the check for the default.
    const auto& configs = kwargs.at("configs");
    const auto index = static_cast<size_t>(context.layer_idx) % configs.size();
    const auto& config = configs[index];
    return std::make_shared<HybridImpl>(build_mixer(MixerKind::Sequence, config.at("name").get<std::string>(),
                                                    config.value("kwargs", nlohmann::json::object()), context,
                                                    "hybrid.configs[" + std::to_string(index) + "].kwargs"));
  };
  return spec;
}

}  // namespace zoolab
