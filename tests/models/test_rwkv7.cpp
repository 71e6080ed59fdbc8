// The rwkv7 mixer (models/mixers/rwkv7.h) beyond the registry-wide contract: how heads are chosen and
// refused, Zoology's state dict names (v_lora only after layer 0), the state size, and what the
// capture hook keeps.

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mixers/rwkv7.h"
#include "models/registry.h"

namespace zoolab {
namespace {

std::shared_ptr<Rwkv7Impl> build_rwkv7(int64_t d_model, const nlohmann::json& kwargs, int64_t layer = 0) {
  auto mixer = build_mixer(MixerKind::Sequence, "rwkv7", kwargs, MixerContext{d_model, layer, 2, 16});
  return std::dynamic_pointer_cast<Rwkv7Impl>(mixer);
}

TEST(Rwkv7, DefaultsToHeadsOf64OrOneHeadOfDModel) {
  auto d64 = build_rwkv7(64, nlohmann::json::object());
  EXPECT_EQ(d64->num_heads(), 1);
  EXPECT_EQ(d64->head_dim(), 64);
  EXPECT_EQ(d64->state_size(100), 64 * 64);  // H·h², independent of the length
  auto d128 = build_rwkv7(128, nlohmann::json::object());
  EXPECT_EQ(d128->num_heads(), 2);
  EXPECT_EQ(d128->state_size(7), 2 * 64 * 64);
  auto d16 = build_rwkv7(16, nlohmann::json::object());
  EXPECT_EQ(d16->num_heads(), 1);
  EXPECT_EQ(d16->head_dim(), 16);
  auto heads = build_rwkv7(16, {{"num_heads", 4}});
  EXPECT_EQ(heads->head_dim(), 4);
  EXPECT_EQ(heads->state_size(16), 4 * 4 * 4);
}

TEST(Rwkv7, RefusesInconsistentHeadsNamingTheKey) {
  auto message = [](int64_t d, const nlohmann::json& kwargs) {
    try {
      build_rwkv7(d, kwargs);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(
      message(16, {{"head_dim", 8}, {"num_heads", 2}}).find("rwkv7: num_heads 2 cannot be set together"),
      std::string::npos);
  EXPECT_NE(message(16, {{"head_dim", 5}}).find("rwkv7: head_dim 5 must be positive and divide d_model 16"),
            std::string::npos);
  EXPECT_NE(message(16, {{"num_heads", 3}}).find("rwkv7: num_heads 3"), std::string::npos);
  EXPECT_NE(message(96, nlohmann::json::object()).find("rwkv7: head_dim 64 (the default)"),
            std::string::npos);
  EXPECT_NE(message(16, {{"norm_eps", 0.0}}).find("rwkv7: norm_eps"), std::string::npos);
}

TEST(Rwkv7, HasZoologysStateDictNamesWithVLoraAfterTheFirstLayer) {
  const std::set<std::string> first = {"x_x",
                                       "k_k",
                                       "k_a",
                                       "r_k",
                                       "r_proj.weight",
                                       "k_proj.weight",
                                       "v_proj.weight",
                                       "o_proj.weight",
                                       "w_lora.lora.0.weight",
                                       "w_lora.lora.2.weight",
                                       "w_lora.lora.2.bias",
                                       "a_lora.lora.0.weight",
                                       "a_lora.lora.2.weight",
                                       "a_lora.lora.2.bias",
                                       "g_lora.lora.0.weight",
                                       "g_lora.lora.2.weight",
                                       "g_norm.weight",
                                       "g_norm.bias"};
  auto names = [](const std::shared_ptr<Rwkv7Impl>& mixer) {
    std::set<std::string> out;
    for (const auto& item : mixer->named_parameters()) {
      out.insert(item.key());
    }
    return out;
  };
  EXPECT_EQ(names(build_rwkv7(16, {{"head_dim", 8}})), first);
  auto later = first;
  later.insert({"v_lora.lora.0.weight", "v_lora.lora.2.weight", "v_lora.lora.2.bias"});
  EXPECT_EQ(names(build_rwkv7(16, {{"head_dim", 8}}, 1)), later);
  auto plain = first;
  plain.erase("g_norm.weight");
  plain.erase("g_norm.bias");
  EXPECT_EQ(names(build_rwkv7(16, {{"head_dim", 8}, {"elementwise_affine", false}})), plain);
  auto mixer = build_rwkv7(16, {{"head_dim", 8}, {"decay_low_rank_dim", 3}});
  EXPECT_EQ(mixer->w_lora->named_parameters()["lora.0.weight"].sizes(), torch::IntArrayRef({3, 16}));
}

// The capture: "weights" W (B, H, L, L) is causal and signed; "attention" is |W| with rows
// normalised; "decay" the per-step retention e^w, inside (e^{-e^{-0.5}}, 1).
TEST(Rwkv7, CapturesItsRecurrenceWeightsAndDecay) {
  torch::manual_seed(0);
  auto mixer = build_rwkv7(16, {{"head_dim", 8}});
  {
    torch::NoGradGuard no_grad;
    for (auto& p : mixer->parameters()) {
      p.add_(0.3 * torch::randn_like(p));
    }
  }
  mixer->set_capture(true);
  mixer->forward(torch::randn({2, 9, 16}));
  const auto& patterns = mixer->captured();
  const auto weights = patterns.at("weights");
  ASSERT_EQ(weights.sizes(), torch::IntArrayRef({2, 2, 9, 9}));
  EXPECT_EQ(weights.triu(1).abs().max().item<double>(), 0.0);
  EXPECT_LT(weights.min().item<double>(), 0.0) << "expected signed weights";
  const auto attention = patterns.at("attention");
  EXPECT_TRUE(torch::allclose(attention, weights.abs() / weights.abs().sum(-1, true)));
  const auto decay = patterns.at("decay");
  ASSERT_EQ(decay.sizes(), torch::IntArrayRef({2, 2, 9, 8}));
  EXPECT_GT(decay.min().item<double>(), std::exp(-std::exp(-0.5)));
  EXPECT_LT(decay.max().item<double>(), 1.0);
}

}  // namespace
}  // namespace zoolab
