// Mamba-2 (docs/reference.md#mamba2): the mixer's shapes and defaults (Zoology's headdim 64 at d_model 64,
// the narrower auto head below it), the options it refuses, its state size, its gated grouped RMSNorm,
// its captures, and the block of model.block_type "mamba2" (state-dict layout, Zoology's Mamba
// initialisation branch). Numerical parity with Zoology is in test_parity.cpp (parity_mamba2*.json).

#include <string>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/ssd.h"
#include "models/language_model.h"
#include "models/mixers/mamba2.h"
#include "models/registry.h"

namespace zoolab {
namespace {

LanguageModelOptions mamba2_model_options(int64_t d_model = 64) {
  LanguageModelOptions options;
  options.vocab_size = 64;
  options.d_model = d_model;
  options.n_layers = 2;
  options.max_position_embeddings = 0;
  options.l_max = 16;
  options.block_type = "mamba2";
  options.sequence_mixer = "mamba2";
  options.state_mixer = "identity";
  return options;
}

void expect_refused(const Mamba2Options& options, const std::string& key) {
  try {
    Mamba2Impl mixer(options);
    ADD_FAILURE() << "accepted " << key;
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("mamba2"), std::string::npos) << message;
    EXPECT_NE(message.find(key), std::string::npos) << message;
  }
}

TEST(Mamba2Mixer, BuildsZoologysDefaultsAtDModel64) {
  torch::manual_seed(0);
  Mamba2Impl mixer(Mamba2Options(64));
  // d_inner 128, headdim 64: 2 heads; d_state 128, one group: in_proj 2·128 + 2·128 + 2 wide.
  EXPECT_EQ(mixer.headdim(), 64);
  EXPECT_EQ(mixer.nheads(), 2);
  EXPECT_EQ(mixer.in_proj->weight.sizes(), torch::IntArrayRef({2 * 128 + 2 * 128 + 2, 64}));
  EXPECT_EQ(mixer.conv1d->weight.sizes(), torch::IntArrayRef({128 + 2 * 128, 1, 4}));
  EXPECT_EQ(mixer.A_log.sizes(), torch::IntArrayRef({2}));
  EXPECT_EQ(mixer.D.sizes(), torch::IntArrayRef({2}));
  EXPECT_EQ(mixer.norm->weight.sizes(), torch::IntArrayRef({128}));
  EXPECT_FALSE(mixer.in_proj->bias.defined());
  // A in [1, 16], softplus(dt_bias) in [dt_min, dt_max], D and the norm weight ones.
  const auto A = torch::exp(mixer.A_log);
  EXPECT_GE(A.min().item<double>(), 1.0);
  EXPECT_LE(A.max().item<double>(), 16.0);
  const auto dt = torch::softplus(mixer.dt_bias);
  EXPECT_GE(dt.min().item<double>(), 1e-3 * 0.999);
  EXPECT_LE(dt.max().item<double>(), 0.1 * 1.001);
  // Zoology's Mamba2.state_size: 2·d_model·d_state.
  EXPECT_EQ(mixer.state_size(1234), 2 * 64 * 128);
  // models_repo.py's add_mamba2 sweep: d_state 8, 16, 24 at d_model 64, 128, 256.
  for (const int64_t d_model : {64, 128, 256}) {
    for (const int64_t d_state : {8, 16, 24}) {
      Mamba2Impl swept(Mamba2Options(d_model).d_state(d_state));
      EXPECT_EQ(swept.forward(torch::randn({1, 5, d_model})).sizes(), torch::IntArrayRef({1, 5, d_model}));
    }
  }
}

TEST(Mamba2Mixer, NarrowsTheAutoHeadBelowDModel32) {
  EXPECT_EQ(Mamba2Impl(Mamba2Options(16)).headdim(), 32);  // d_inner 32 < 64: one head of 32
  EXPECT_EQ(Mamba2Impl(Mamba2Options(32)).headdim(), 64);
  EXPECT_EQ(Mamba2Impl(Mamba2Options(16).headdim(8)).nheads(), 4);
}

TEST(Mamba2Mixer, RefusesOptionsThatDoNotFit) {
  expect_refused(Mamba2Options(64).headdim(48), "headdim");             // 128 % 48
  expect_refused(Mamba2Options(48), "headdim");                         // auto 64 does not divide 96
  expect_refused(Mamba2Options(64).headdim(32).ngroups(3), "ngroups");  // 4 heads, 3 groups
  expect_refused(Mamba2Options(64).d_ssm(256), "d_ssm");                // > d_inner
  expect_refused(Mamba2Options(64).d_ssm(127).headdim(1), "d_ssm");     // odd MLP remainder
  expect_refused(Mamba2Options(64).A_init_min(4).A_init_max(2), "A_init_max");
  expect_refused(Mamba2Options(64).dt_min(0.5).dt_max(0.1), "dt_max");
  expect_refused(Mamba2Options(64).dt_limit_min(0.5).dt_limit_max(0.1), "dt_limit_max");
  expect_refused(Mamba2Options(64).chunk_size(0), "chunk_size");
  // Through the registry: the path names the key.
  EXPECT_THROW(build_mixer(MixerKind::Sequence, "mamba2", {{"headdim", -1}}, {64, 0, 2, 16}),
               std::invalid_argument);
}

TEST(GroupedGatedRMSNorm, FollowsMambaSsmsReferenceFormula) {
  torch::manual_seed(3);
  const auto x = torch::randn({2, 5, 12}, torch::kDouble);
  const auto z = torch::randn({2, 5, 12}, torch::kDouble);
  for (const bool before : {false, true}) {
    GroupedGatedRMSNorm norm(12, 4, before, 1e-5);
    norm->to(torch::kDouble);
    {
      torch::NoGradGuard no_grad;
      norm->weight.copy_(torch::randn({12}, torch::kDouble));
    }
    // rms_norm_ref (layernorm_gated.py) written out: three groups of four channels.
    const auto h = before ? x : x * torch::silu(z);
    const auto g = h.view({2, 5, 3, 4});
    auto want = (g / torch::sqrt(g.pow(2).mean(-1, true) + 1e-5)).view({2, 5, 12}) * norm->weight;
    if (before) {
      want = want * torch::silu(z);
    }
    EXPECT_TRUE(torch::allclose(norm(x, z), want, 1e-12, 1e-12)) << "norm_before_gate " << before;
  }
}

TEST(Mamba2Mixer, CapturesTheScansWeightsAndDecays) {
  torch::manual_seed(4);
  auto mixer = build_mixer(MixerKind::Sequence, "mamba2", {{"headdim", 16}, {"d_state", 8}}, {32, 0, 2, 12});
  mixer->set_capture(true);
  mixer->forward(torch::randn({2, 12, 32}));
  const auto& captured = mixer->captured();
  ASSERT_TRUE(captured.count("attention") && captured.count("weights") && captured.count("decay"));
  const auto& weights = captured.at("weights");
  EXPECT_EQ(weights.sizes(), torch::IntArrayRef({2, 4, 12, 12}));
  const auto attention = captured.at("attention");
  EXPECT_TRUE(torch::allclose(attention.sum(-1), torch::ones({2, 4, 12}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(attention * weights.abs().sum(-1, true), weights.abs(), 1e-5, 1e-6));
  const auto& decay = captured.at("decay");
  EXPECT_EQ(decay.sizes(), torch::IntArrayRef({2, 4, 12}));
  EXPECT_TRUE((decay > 0).all().item<bool>() && (decay < 1).all().item<bool>());
}

TEST(Mamba2Block, HasZoologysStateDictNamesAndInitialisation) {
  torch::manual_seed(5);
  auto options = mamba2_model_options();
  options.sequence_mixer_kwargs = {{"bias", true}, {"d_state", 16}};
  LanguageModel model(options);
  const auto params = model->named_parameters();
  for (const char* name :
       {"backbone.layers.0.norm.weight", "backbone.layers.0.mixer.in_proj.weight",
        "backbone.layers.0.mixer.in_proj.bias", "backbone.layers.0.mixer.conv1d.weight",
        "backbone.layers.0.mixer.conv1d.bias", "backbone.layers.0.mixer.dt_bias",
        "backbone.layers.0.mixer.A_log", "backbone.layers.0.mixer.D", "backbone.layers.0.mixer.norm.weight",
        "backbone.layers.1.mixer.out_proj.weight", "backbone.ln_f.weight"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  // Zoology's _init_weights for block types containing "Mamba": Linear biases zeroed, dt_bias kept (a
  // parameter, not a Linear), out_proj.weight ~ U(±1/√fan_in)/√n_layers.
  EXPECT_EQ(params["backbone.layers.0.mixer.in_proj.bias"].abs().max().item<double>(), 0.0);
  // in_proj.weight keeps PyTorch's U(±1/√64) (std 0.072), not GPT-2's N(0, 0.02).
  EXPECT_GT(params["backbone.layers.0.mixer.in_proj.weight"].std().item<double>(), 0.05);
  EXPECT_GT(params["backbone.layers.0.mixer.dt_bias"].abs().min().item<double>(), 0.0);
  const auto out = params["backbone.layers.1.mixer.out_proj.weight"];
  EXPECT_LE(out.abs().max().item<double>(), 1.0 / std::sqrt(128.0) / std::sqrt(2.0) + 1e-7);
  // A forward and backward through the whole model.
  const auto logits = model->forward(torch::randint(0, 64, {2, 9}));
  EXPECT_EQ(logits.sizes(), torch::IntArrayRef({2, 9, 64}));
  logits.sum().backward();
  EXPECT_TRUE(params["backbone.layers.0.mixer.A_log"].grad().defined());
}

TEST(Mamba2Block, RefusesAStateMixerNamingTheBlockType) {
  auto options = mamba2_model_options();
  options.state_mixer = "mlp";
  try {
    LanguageModel model(options);
    FAIL() << "a state mixer was accepted";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("model.state_mixer.name"), std::string::npos) << message;
    EXPECT_NE(message.find("\"mamba2\""), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace zoolab
