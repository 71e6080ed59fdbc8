// DeltaNet and Gated DeltaNet beyond the registry-driven contract: Zoology's widths and state size, the
// options they refuse, the initialisation of Gated DeltaNet's gate, and what they capture. Parity with
// Zoology's modules is test_parity.cpp's (fixtures by tests/models/fixtures/make_parity_fixtures_delta.py).

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mixers/delta_net.h"
#include "models/mixers/gated_delta_net.h"
#include "models/registry.h"

namespace zoolab {
namespace {

constexpr int64_t kDeltaDim = 64, kDeltaLen = 21;

MixerPtr delta_build(const std::string& name, const nlohmann::json& kwargs) {
  torch::manual_seed(5);
  return build_mixer(MixerKind::Sequence, name, kwargs, MixerContext{kDeltaDim, 0, 2, kDeltaLen});
}

std::string delta_refusal(const std::string& name, const nlohmann::json& kwargs) {
  try {
    delta_build(name, kwargs);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(built)";
}

TEST(DeltaNet, HasZoologysWidthsAndStateSize) {
  auto mixer = delta_build("delta_net", nlohmann::json::object());
  auto* delta = dynamic_cast<DeltaNetImpl*>(mixer.get());
  ASSERT_NE(delta, nullptr);
  EXPECT_EQ(delta->q_proj->weight.sizes(), torch::IntArrayRef({64, 64}));
  EXPECT_EQ(delta->q_conv1d->weight.sizes(), torch::IntArrayRef({64, 1, 4}));
  EXPECT_EQ(delta->o_norm->weight.sizes(), torch::IntArrayRef({16}));  // head_v_dim
  EXPECT_EQ(mixer->state_size(kDeltaLen), 4 * 16 * 16);
  EXPECT_FALSE(delta->g_proj);

  // int(64 · 0.5) = 32 keys over 2 heads, int(64 · 1.5) = 96 values.
  auto wide =
      delta_build("delta_net", {{"expand_k", 0.5}, {"expand_v", 1.5}, {"num_heads", 2}, {"use_gate", true}});
  EXPECT_EQ(wide->state_size(kDeltaLen), 2 * 16 * 48);
  EXPECT_TRUE(wide->named_parameters().contains("g_proj.weight"));
  EXPECT_TRUE(mixer->named_parameters().contains("b_proj.weight"));
  EXPECT_FALSE(delta_build("delta_net", {{"use_beta", false}})->named_parameters().contains("b_proj.weight"));
}

TEST(DeltaNet, RefusesWhatZoologyRefusesNamingTheKey) {
  EXPECT_NE(delta_refusal("delta_net", {{"num_heads", 3}}).find("delta_net: expand_k"), std::string::npos);
  EXPECT_NE(delta_refusal("delta_net", {{"expand_v", 0.01}}).find("value_dim = int(d_model 64"),
            std::string::npos);
  EXPECT_NE(delta_refusal("delta_net", {{"use_short_conv", false}}).find("delta_net: use_short_conv false"),
            std::string::npos);
  EXPECT_NE(delta_refusal("delta_net", {{"qk_norm", "max"}}).find("qk_norm"), std::string::npos);
}

TEST(GatedDeltaNet, HasZoologysWidthsInitialisationAndStateSize) {
  // Zoology's defaults at d_model 64: 6 heads of 64 / 6 = 10, values 2 · 10 per head.
  auto mixer = delta_build("gated_delta_net", nlohmann::json::object());
  auto* gated = dynamic_cast<GatedDeltaNetImpl*>(mixer.get());
  ASSERT_NE(gated, nullptr);
  EXPECT_EQ(gated->q_proj->weight.sizes(), torch::IntArrayRef({60, 64}));
  EXPECT_EQ(gated->v_proj->weight.sizes(), torch::IntArrayRef({120, 64}));
  EXPECT_EQ(mixer->state_size(kDeltaLen), 6 * 10 * 20);
  // A = exp(A_log) in (0, 16); softplus(dt_bias) = Δ in [0.001, 0.1]; D ones, frozen.
  const auto a = gated->A_log.exp();
  EXPECT_TRUE((a.gt(0) & a.lt(16)).all().item<bool>());
  const auto dt = torch::softplus(gated->dt_bias);
  EXPECT_TRUE((dt.ge(0.001 - 1e-6) & dt.le(0.1 + 1e-6)).all().item<bool>()) << dt;
  EXPECT_TRUE(torch::equal(gated->D, torch::ones({6})));
  EXPECT_FALSE(gated->D.requires_grad());
  EXPECT_EQ(gated->named_parameters().size(), 14u);  // Zoology's state dict: 14 tensors with use_gate
}

TEST(GatedDeltaNet, RefusesWhatItCannotBuild) {
  // head_dim 16 · 0.25 = 4 values per head builds; 16 · 0.3 = 4.8 does not.
  EXPECT_EQ(delta_refusal("gated_delta_net", {{"expand_v", 0.25}, {"num_heads", 4}}), "(built)");
  EXPECT_NE(delta_refusal("gated_delta_net", {{"expand_v", 0.3}, {"num_heads", 4}})
                .find("gated_delta_net: expand_v"),
            std::string::npos);
  EXPECT_NE(delta_refusal("gated_delta_net", {{"num_heads", 65}}).find("gated_delta_net: num_heads 65"),
            std::string::npos);
  EXPECT_NE(delta_refusal("gated_delta_net", {{"use_short_conv", false}}).find("use_short_conv"),
            std::string::npos);
}

// What the inspector gets (that the weights reproduce the recurrence is test_delta_rule.cpp's
// DeltaRuleWeights): shapes, causality, β in (0, 1) and the gate e^g in (0, 1].
TEST(GatedDeltaNet, CapturesBetaDecayAndTheValueWeights) {
  for (const std::string name : {"delta_net", "gated_delta_net"}) {
    auto mixer = delta_build(name, {{"num_heads", 2}});
    mixer->eval();
    mixer->set_capture(true);
    mixer->forward(torch::randn({2, kDeltaLen, kDeltaDim}));
    const auto& patterns = mixer->captured();
    ASSERT_TRUE(patterns.count("weights") && patterns.count("attention")) << name;
    const auto& weights = patterns.at("weights");
    // The inspector's attention: |W| with rows normalised (row-stochastic on the causal triangle).
    const auto& attention = patterns.at("attention");
    EXPECT_TRUE(torch::allclose(attention.sum(-1), torch::ones({2, 2, kDeltaLen}), 1e-5, 1e-5)) << name;
    EXPECT_TRUE(torch::allclose(attention * weights.abs().sum(-1, true), weights.abs(), 1e-5, 1e-6)) << name;
    EXPECT_EQ(weights.sizes(), torch::IntArrayRef({2, 2, kDeltaLen, kDeltaLen})) << name;
    EXPECT_EQ(weights.triu(1).abs().max().item<double>(), 0.0) << name;
    EXPECT_GT(weights.abs().max().item<double>(), 0.0) << name;
    const auto& beta = patterns.at("beta");
    EXPECT_EQ(beta.sizes(), torch::IntArrayRef({2, 2, kDeltaLen})) << name;
    EXPECT_TRUE((beta.gt(0) & beta.lt(1)).all().item<bool>()) << name;
    EXPECT_EQ(patterns.count("decay"), name == "gated_delta_net" ? 1u : 0u);
    if (patterns.count("decay")) {
      const auto& decay = patterns.at("decay");
      EXPECT_TRUE((decay.gt(0) & decay.le(1)).all().item<bool>());
    }
  }
}

}  // namespace
}  // namespace zoolab
