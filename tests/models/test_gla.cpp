// The GLA mixer (models/mixers/gla.h) beyond the registry-wide contract: the head widths, parameter names
// and state size Zoology's gla.py gives, the options refused at construction, and what it captures.
// Its numbers against Zoology's module are checked by test_parity.cpp (parity_gla*.json).

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mixers/gla.h"
#include "models/registry.h"

namespace zoolab {
namespace {

std::shared_ptr<GlaImpl> build_gla(const nlohmann::json& kwargs, int64_t d_model = 64) {
  auto mixer = build_mixer(MixerKind::Sequence, "gla", kwargs, {d_model, 0, 2, 32});
  return std::dynamic_pointer_cast<GlaImpl>(mixer);
}

TEST(Gla, DefaultsAtDModel64GiveZoologysWidthsNamesAndStateSize) {
  const auto gla = build_gla(nlohmann::json::object());
  ASSERT_NE(gla, nullptr);
  EXPECT_EQ(gla->key_dim(), 32);  // int(64 · 0.5)
  EXPECT_EQ(gla->value_dim(), 64);
  EXPECT_EQ(gla->head_k_dim(), 8);
  EXPECT_EQ(gla->head_v_dim(), 16);
  // key_dim · head_v_dim: four 8 × 16 matrices.
  EXPECT_EQ(gla->state_size(100), 32 * 16);
  std::vector<std::string> names = gla->named_parameters().keys();
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"g_norm_swish_gate.weight", "g_proj.weight", "gk_proj.0.weight",
                                             "gk_proj.1.bias", "gk_proj.1.weight", "k_proj.weight",
                                             "o_proj.weight", "q_proj.weight", "v_proj.weight"}));
  EXPECT_EQ(gla->named_parameters()["gk_proj.0.weight"].sizes(), (std::vector<int64_t>{16, 64}));
  EXPECT_EQ(gla->named_parameters()["gk_proj.1.weight"].sizes(), (std::vector<int64_t>{32, 16}));
}

TEST(Gla, SharedKeyValueHeadsAndShortConvolutionsCountAsZoologyCounts) {
  const auto gla = build_gla({{"num_kv_heads", 2}, {"use_short_conv", true}, {"conv_size", 3}});
  // k and v (and the gate) have half the channels; the state is per query head all the same.
  EXPECT_EQ(gla->named_parameters()["k_proj.weight"].size(0), 16);
  EXPECT_EQ(gla->named_parameters()["v_proj.weight"].size(0), 32);
  EXPECT_EQ(gla->named_parameters()["gk_proj.1.weight"].size(0), 16);
  EXPECT_EQ(gla->named_parameters()["q_conv1d.weight"].sizes(), (std::vector<int64_t>{32, 1, 3}));
  EXPECT_EQ(gla->named_parameters().find("q_conv1d.bias"), nullptr);
  EXPECT_EQ(gla->state_size(8), 32 * 16 + (32 + 16 + 32) * 3);
}

TEST(Gla, WithoutTheFusedSwishGateOrAffineNormTheNamesFollow) {
  EXPECT_NE(build_gla({{"gate_fn", "sigmoid"}})->named_parameters().find("g_norm.weight"), nullptr);
  EXPECT_NE(build_gla({{"fuse_norm", false}})->named_parameters().find("g_norm.weight"), nullptr);
  const auto no_gate = build_gla({{"use_output_gate", false}});
  EXPECT_EQ(no_gate->named_parameters().find("g_proj.weight"), nullptr);
  EXPECT_NE(no_gate->named_parameters().find("g_norm.weight"), nullptr);
  const auto plain = build_gla({{"elementwise_affine", false}});
  EXPECT_EQ(plain->named_parameters().find("g_norm_swish_gate.weight"), nullptr);
  const auto y = plain->forward(torch::randn({2, 5, 64}));
  EXPECT_TRUE(torch::isfinite(y).all().item<bool>());
}

void expect_refused(const nlohmann::json& kwargs, const std::string& fragment, int64_t d_model = 64) {
  try {
    build_gla(kwargs, d_model);
    ADD_FAILURE() << kwargs.dump() << " was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find(fragment), std::string::npos) << error.what();
  }
}

TEST(Gla, RefusesWidthsThatDoNotSplitIntoHeadsAndUnboundedGates) {
  expect_refused({{"expand_k", 0.3}}, "gla: expand_k");          // key_dim 19 over 4 heads
  expect_refused({{"num_heads", 3}}, "gla: expand_k");           // 32 over 3 heads
  expect_refused(nlohmann::json::object(), "gla: expand_k", 4);  // key_dim 2 < 4 heads
  expect_refused({{"expand_v", 0.1}}, "gla: expand_v");          // value_dim 6 over 4 heads
  expect_refused({{"num_kv_heads", 3}}, "gla: num_kv_heads");
  expect_refused({{"num_kv_heads", 8}}, "gla: num_kv_heads");
  expect_refused({{"gate_logit_normalizer", 0}}, "gla: gate_logit_normalizer");
  expect_refused({{"clamp_min", 0.5}}, "clamp_min");  // by the registry's range, and by the constructor:
  EXPECT_THROW(GlaImpl(GlaOptions(64).clamp_min(0.5)), std::invalid_argument);
  expect_refused({{"gate_fn", "bias_gelu"}}, "gate_fn");  // two-argument ACT2FN entry
  expect_refused({{"feature_map", "elu"}}, "feature_map");
}

TEST(Gla, CapturesRowStochasticCausalWeightsAndTheDecayPerHead) {
  torch::manual_seed(0);
  const auto gla = build_gla(nlohmann::json::object());
  gla->set_capture(true);
  gla->forward(torch::randn({2, 20, 64}));
  const auto& patterns = gla->captured();
  const auto attention = patterns.at("attention");
  ASSERT_EQ(attention.sizes(), (std::vector<int64_t>{2, 4, 20, 20}));
  EXPECT_EQ(attention.triu(1).abs().max().item<double>(), 0.0);
  EXPECT_TRUE(torch::allclose(attention.sum(-1), torch::ones({1})));
  const auto decay = patterns.at("decay");
  ASSERT_EQ(decay.sizes(), (std::vector<int64_t>{4}));
  // logsigmoid(x) / 16 ≥ log(½)/16 near x = 0: α close to 1.
  EXPECT_GT(decay.min().item<double>(), 0.9);
  EXPECT_LT(decay.max().item<double>(), 1.0);
}

}  // namespace
}  // namespace zoolab
