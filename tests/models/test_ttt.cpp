// The ttt mixer beyond the registry-wide contract: option checks, Zoology's state-dict names and shapes
// for both inner models, state_size, what it captures, and lengths around the mini-batch size.

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mixers/ttt.h"
#include "models/registry.h"

namespace zoolab {
namespace {

MixerPtr build_ttt(const nlohmann::json& kwargs, int64_t d_model = 64) {
  return build_mixer(MixerKind::Sequence, "ttt", kwargs, MixerContext{d_model, 0, 2, 64});
}

std::string ttt_refusal(const nlohmann::json& kwargs, int64_t d_model = 64) {
  try {
    build_ttt(kwargs, d_model);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(TttMixer, RefusesOptionsItCannotUse) {
  EXPECT_NE(ttt_refusal({{"num_heads", 5}}).find("ttt: num_heads 5 must divide d_model 64"),
            std::string::npos);
  EXPECT_NE(ttt_refusal({{"num_heads", 8}}, 24).find("ttt: num_heads 8 gives an odd head width 3"),
            std::string::npos);
  EXPECT_NE(ttt_refusal({{"ttt_layer_type", "gru"}}).find("ttt_layer_type"), std::string::npos);
  EXPECT_NE(ttt_refusal({{"mini_batch_size", 0}}).find("mini_batch_size"), std::string::npos);
  EXPECT_NE(ttt_refusal({{"ttt_base_lr", -1.0}}).find("ttt_base_lr"), std::string::npos);
  // The options struct refuses on its own too (the registry's ranges aside).
  EXPECT_THROW(TttImpl(TttOptions(64).ttt_layer_type("gru")), std::invalid_argument);
  EXPECT_THROW(TttImpl(TttOptions(64).rope_theta(0.0)), std::invalid_argument);
  EXPECT_EQ(ttt_refusal(nlohmann::json::object()), "");
}

std::map<std::string, std::vector<int64_t>> ttt_shapes(const MixerPtr& mixer) {
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& item : mixer->named_parameters()) {
    shapes[item.key()] = item.value().sizes().vec();
  }
  return shapes;
}

TEST(TttMixer, HasZoologysParameterNamesAndShapes) {
  // d 64, 4 heads of 16, mini-batch 16: Zoology's TTT(64) with TTTLinear under `ttt_layer`.
  const std::map<std::string, std::vector<int64_t>> linear = {
      {"ttt_layer.learnable_token_idx", {16}},
      {"ttt_layer.q_proj.weight", {64, 64}},
      {"ttt_layer.k_proj.weight", {64, 64}},
      {"ttt_layer.v_proj.weight", {64, 64}},
      {"ttt_layer.o_proj.weight", {64, 64}},
      {"ttt_layer.learnable_ttt_lr_weight", {4, 1, 64}},
      {"ttt_layer.learnable_ttt_lr_bias", {4, 1}},
      {"ttt_layer.ttt_norm_weight", {4, 16}},
      {"ttt_layer.ttt_norm_bias", {4, 16}},
      {"ttt_layer.post_norm.weight", {64}},
      {"ttt_layer.post_norm.bias", {64}},
      {"ttt_layer.W1", {4, 16, 16}},
      {"ttt_layer.b1", {4, 1, 16}},
  };
  EXPECT_EQ(ttt_shapes(build_ttt(nlohmann::json::object())), linear);

  auto mlp = linear;
  mlp["ttt_layer.W1"] = {4, 16, 64};
  mlp["ttt_layer.b1"] = {4, 1, 64};
  mlp["ttt_layer.W2"] = {4, 64, 16};
  mlp["ttt_layer.b2"] = {4, 1, 16};
  EXPECT_EQ(ttt_shapes(build_ttt({{"ttt_layer_type", "mlp"}})), mlp);

  auto shared = linear;
  shared.erase("ttt_layer.k_proj.weight");
  shared["ttt_layer.conv_q.weight"] = {64, 1, 3};
  shared["ttt_layer.conv_q.bias"] = {64};
  shared["ttt_layer.conv_k.weight"] = {64, 1, 3};
  shared["ttt_layer.conv_k.bias"] = {64};
  shared["ttt_layer.g_proj.weight"] = {64, 64};
  shared["ttt_layer.learnable_token_idx"] = {8};
  EXPECT_EQ(ttt_shapes(build_ttt(
                {{"share_qk", true}, {"conv_kernel", 3}, {"use_gate", true}, {"mini_batch_size", 8}})),
            shared);
}

TEST(TttMixer, StateSizeIsTheInnerModelsParameters) {
  // Zoology's TTT.state_size: H·F·(F + 1) for linear, H·(8F² + 5F) for mlp; F = 64 / 4 = 16.
  EXPECT_EQ(build_ttt(nlohmann::json::object())->state_size(512), 4 * 16 * 17);
  EXPECT_EQ(build_ttt({{"ttt_layer_type", "mlp"}})->state_size(512), 4 * (8 * 16 * 16 + 5 * 16));
  EXPECT_EQ(build_ttt({{"num_heads", 2}})->state_size(64), 2 * 32 * 33);
}

TEST(TttMixer, CapturesLearningRatesAndInnerLosses) {
  torch::manual_seed(0);
  auto mixer = build_ttt({{"ttt_base_lr", 0.5}});
  mixer->eval();
  mixer->set_capture(true);
  mixer->forward(torch::randn({2, 37, 64}));
  const auto& captured = mixer->captured();
  ASSERT_EQ(captured.count("eta"), 1u);
  ASSERT_EQ(captured.count("inner_loss"), 1u);
  const auto eta = captured.at("eta");
  EXPECT_EQ(eta.sizes(), torch::IntArrayRef({2, 4, 37}));
  // base_lr · σ(·) / F with F = 16.
  EXPECT_GT(eta.min().item<double>(), 0.0);
  EXPECT_LT(eta.max().item<double>(), 0.5 / 16);
  const auto loss = captured.at("inner_loss");
  EXPECT_EQ(loss.sizes(), torch::IntArrayRef({2, 4, 3}));  // ⌈37 / 16⌉ mini-batches
  EXPECT_TRUE((loss > 0).all().item<bool>());
  mixer->set_capture(false);
  EXPECT_TRUE(mixer->captured().empty());
}

TEST(TttMixer, AnyLengthAndPrefixesAgree) {
  // Shorter than, equal to and longer than the mini-batch; a prefix gives the prefix's outputs (the last
  // partial mini-batch is computed as Zoology's shorter mini-batch would).
  for (const std::string type : {"linear", "mlp"}) {
    torch::manual_seed(1);
    auto mixer = build_ttt({{"ttt_layer_type", type}});
    mixer->eval();
    torch::NoGradGuard no_grad;
    const auto u = torch::randn({2, 40, 64});
    const auto full = mixer->forward(u);
    for (const int64_t len : {1, 7, 16, 17, 32, 39}) {
      const auto part = mixer->forward(u.narrow(1, 0, len));
      EXPECT_TRUE(torch::allclose(part, full.narrow(1, 0, len), 1e-5, 1e-6)) << type << " L " << len;
    }
  }
}

TEST(TttMixer, PreConvAndRmsNormEpsHaveNoEffectAsInZoology) {
  torch::manual_seed(2);
  auto plain = build_ttt(nlohmann::json::object());
  torch::manual_seed(2);
  auto with = build_ttt({{"pre_conv", true}, {"rms_norm_eps", 1e-3}, {"scan_checkpoint_group_size", 4}});
  EXPECT_EQ(ttt_shapes(plain), ttt_shapes(with));
  const auto u = torch::randn({1, 20, 64});
  EXPECT_TRUE(torch::equal(plain->forward(u), with->forward(u)));
}

}  // namespace
}  // namespace zoolab
