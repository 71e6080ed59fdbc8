// The Mamba block of model.block_type "mamba" (docs/reference.md#backbone): state-dict layout,
// Zoology's Mamba initialisation branch, state size, capture, and the options it refuses. Numerical
// parity with Zoology is in test_parity.cpp (fixtures parity_mamba*.json).

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/language_model.h"
#include "models/mamba_block.h"
#include "models/mixers/mamba.h"

namespace zoolab {
namespace {

LanguageModelOptions mamba_options(int64_t n_layers = 2) {
  LanguageModelOptions options;
  options.vocab_size = 64;
  options.d_model = 32;
  options.n_layers = n_layers;
  options.max_position_embeddings = 0;
  options.l_max = 16;
  options.block_type = "mamba";
  options.sequence_mixer = "mamba";
  options.state_mixer = "identity";
  return options;
}

TEST(MambaBlock, HasZoologysStateDictNames) {
  torch::manual_seed(0);
  LanguageModel model(mamba_options());
  const auto params = model->named_parameters();
  for (const char* name :
       {"backbone.layers.0.norm.weight", "backbone.layers.0.mixer.in_proj.weight",
        "backbone.layers.0.mixer.conv1d.weight", "backbone.layers.0.mixer.conv1d.bias",
        "backbone.layers.0.mixer.x_proj.weight", "backbone.layers.0.mixer.dt_proj.weight",
        "backbone.layers.0.mixer.dt_proj.bias", "backbone.layers.0.mixer.A_log", "backbone.layers.0.mixer.D",
        "backbone.layers.1.mixer.out_proj.weight", "backbone.ln_f.weight"}) {
    EXPECT_NE(params.find(name), nullptr) << name;
  }
  // Mamba's defaults at d_model 32: D_inner 64, dt_rank ⌈32/16⌉ = 2, d_state 16; no in/out biases.
  EXPECT_EQ(params["backbone.layers.0.mixer.x_proj.weight"].sizes(), torch::IntArrayRef({2 + 32, 64}));
  EXPECT_EQ(params["backbone.layers.0.mixer.A_log"].sizes(), torch::IntArrayRef({64, 16}));
  EXPECT_EQ(params.find("backbone.layers.0.mixer.in_proj.bias"), nullptr);
  EXPECT_EQ(params.find("backbone.layers.0.norm.bias"), nullptr);
  EXPECT_EQ(params.find("backbone.layers.0.norm1.weight"), nullptr);
}

TEST(MambaBlock, FollowsZoologysMambaInitialisation) {
  torch::manual_seed(1);
  auto options = mamba_options(4);
  options.sequence_mixer_kwargs = {{"bias", true}};
  LanguageModel model(options);
  const auto params = model->named_parameters();
  // dt_proj.bias survives the init: softplus(bias) in [dt_min, dt_max] = [1e-3, 0.1].
  const auto dt = torch::softplus(params["backbone.layers.0.mixer.dt_proj.bias"]);
  EXPECT_GE(dt.min().item<double>(), 1e-3 * 0.999);
  EXPECT_LE(dt.max().item<double>(), 0.1 * 1.001);
  // Other Linear biases are zeroed.
  EXPECT_EQ(params["backbone.layers.0.mixer.in_proj.bias"].abs().max().item<double>(), 0.0);
  EXPECT_EQ(params["backbone.layers.2.mixer.out_proj.bias"].abs().max().item<double>(), 0.0);
  // A = -(1..N), D = 1, RMSNorm weight 1.
  EXPECT_TRUE(torch::allclose(params["backbone.layers.0.mixer.A_log"][3],
                              torch::log(torch::arange(1, 17, torch::kFloat))));
  EXPECT_EQ(params["backbone.layers.1.mixer.D"].min().item<double>(), 1.0);
  EXPECT_EQ(params["backbone.layers.1.norm.weight"].min().item<double>(), 1.0);
  // out_proj: U(±1/√fan_in)/√n_layers with fan_in = D_inner = 64.
  const double bound = 1.0 / std::sqrt(64.0) / std::sqrt(4.0);
  const auto out = params["backbone.layers.3.mixer.out_proj.weight"];
  EXPECT_LE(out.abs().max().item<double>(), bound);
  EXPECT_GT(out.abs().max().item<double>(), 0.9 * bound);
  // in_proj keeps PyTorch's default U(±1/√fan_in), fan_in = d_model = 32 (not GPT-2's N(0, 0.02)).
  const auto in = params["backbone.layers.0.mixer.in_proj.weight"];
  EXPECT_LE(in.abs().max().item<double>(), 1.0 / std::sqrt(32.0));
  EXPECT_GT(in.abs().max().item<double>(), 0.9 / std::sqrt(32.0));
  // Embeddings ~ N(0, 0.02).
  EXPECT_NEAR(params["backbone.embeddings.word_embeddings.weight"].std().item<double>(), 0.02, 0.002);
}

TEST(MambaBlock, StateSizeIsZoologysMambaFormula) {
  LanguageModel model(mamba_options(2));
  // 4 bytes × Σ_layers 2·d_model·d_state, independent of the sequence length.
  EXPECT_EQ(model->state_size(64), 4 * 2 * (2 * 32 * 16));
  EXPECT_EQ(model->state_size(512), model->state_size(64));
}

TEST(MambaBlock, RunsForwardAndBackwardAndCaptures) {
  torch::manual_seed(2);
  LanguageModel model(mamba_options());
  const auto ids = torch::randint(64, {2, 16}, torch::kLong);
  model->set_capture(true);
  const auto logits = model->forward(ids);
  EXPECT_EQ(logits.sizes(), torch::IntArrayRef({2, 16, 64}));
  logits.logsumexp(-1).mean().backward();
  for (const auto& p : model->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>());
  }
  const auto captured = model->captured();
  ASSERT_EQ(captured.size(), 2u);
  EXPECT_EQ(captured[0].at("filter").sizes(), torch::IntArrayRef({64, 4}));     // (D_inner, d_conv)
  EXPECT_EQ(captured[0].at("delta").sizes(), torch::IntArrayRef({2, 64, 16}));  // (B, D_inner, L)
  EXPECT_GT(captured[0].at("delta").min().item<double>(), 0.0);
}

TEST(MambaBlock, TakesNoEmbeddingDropout) {
  torch::manual_seed(3);
  auto options = mamba_options();
  options.embed_dropout = 0.5;
  LanguageModel model(options);
  model->train();
  const auto ids = torch::randint(64, {2, 8}, torch::kLong);
  EXPECT_TRUE(torch::equal(model->forward(ids), model->forward(ids)));  // nothing random in training
}

TEST(MambaBlock, RefusesAStateMixerAndUnknownBlockTypes) {
  auto options = mamba_options();
  options.state_mixer = "mlp";
  try {
    LanguageModel model(options);
    FAIL() << "a state mixer was accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("model.state_mixer.name"), std::string::npos) << error.what();
  }
  options = mamba_options();
  options.block_type = "MambaBlock";
  try {
    LanguageModel model(options);
    FAIL() << "an unknown block type was accepted";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("block_type"), std::string::npos) << message;
    EXPECT_NE(message.find("transformer, mamba"), std::string::npos) << message;
  }
}

TEST(MambaMixer, ResolvesAutoDtRankAndRefusesBadKwargs) {
  EXPECT_EQ(MambaImpl(MambaOptions(64)).dt_rank(), 4);
  EXPECT_EQ(MambaImpl(MambaOptions(17)).dt_rank(), 2);
  EXPECT_EQ(MambaImpl(MambaOptions(64).dt_rank(7)).dt_rank(), 7);
  EXPECT_EQ(MambaImpl(MambaOptions(64).expand(3)).d_inner(), 192);
  EXPECT_THROW(MambaImpl(MambaOptions(16).dt_min(0.2).dt_max(0.1)), std::invalid_argument);
  EXPECT_THROW(MambaImpl(MambaOptions(16).dt_init("zero")), std::invalid_argument);
  // "constant" fills dt_proj.weight with dt_rank^-1/2 · dt_scale.
  MambaImpl constant(MambaOptions(16).dt_init("constant").dt_scale(2.0));
  EXPECT_TRUE(torch::allclose(constant.dt_proj->weight, torch::full_like(constant.dt_proj->weight, 2.0)));
}

}  // namespace
}  // namespace zoolab
