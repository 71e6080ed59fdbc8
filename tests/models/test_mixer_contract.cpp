// The mixer contract (docs/architecture.md#a-sequence-mixer) checked for every registered sequence mixer:
// shape kept, causal, deterministic under a seed, finite gradients, positive state size, state-dict round
// trip.

#include <algorithm>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/registry.h"

namespace zoolab {
namespace {

struct MixerCase {
  std::string label;
  std::string name;
  nlohmann::json kwargs;
  int64_t layer_idx = 0;
};

// Every registered sequence mixer with its defaults, plus the variants that take other code paths.
std::vector<MixerCase> mixer_cases() {
  std::vector<MixerCase> cases;
  for (const auto& spec : mixer_registry()) {
    if (spec.kind == MixerKind::Sequence) {
      cases.push_back({spec.name + "_defaults", spec.name, nlohmann::json::object(), 0});
    }
  }
  cases.push_back({"attention_4_heads", "attention", {{"num_heads", 4}}, 0});
  cases.push_back(
      {"base_conv_implicit_long", "base_conv", {{"kernel_size", nlohmann::json::array({3, -1})}}, 1});
  cases.push_back(
      {"base_conv_explicit_long", "base_conv", {{"kernel_size", -1}, {"implicit_long_conv", false}}, 0});
  cases.push_back({"base_conv_act", "base_conv", {{"kernel_size", 5}, {"use_act", true}}, 0});
  // based defaults to train_view "linear" (as Zoology); the quadratic view and every feature map too.
  cases.push_back({"based_quadratic", "based", {{"train_view", "quadratic"}}, 0});
  cases.push_back(
      {"based_paper_f8_1_head",
       "based",
       {{"feature_dim", 8}, {"num_heads", 1}, {"num_key_value_heads", 1}, {"train_view", "quadratic"}},
       0});
  for (const char* map : {"identity", "pos_elu", "relu", "square", "cosformer", "performer", "all_poly"}) {
    cases.push_back({std::string("based_") + map, "based", {{"feature_name", map}, {"feature_dim", 4}}, 0});
  }
  // A window shorter than kLen: the causality test's change at t then reaches only t..t+4, which still
  // includes t itself, so "visible at or after t" stays a real check (the window's far edge is
  // tested separately below).
  cases.push_back({"sliding_window_block_4", "sliding_window", {{"block_size", 4}}, 0});
  // Hybrid's defaults cover configs[0] at layer 0; these pick the second config and wrap around.
  const nlohmann::json conv_then_window = {
      {"configs", nlohmann::json::array({{{"name", "base_conv"}, {"kwargs", {{"kernel_size", 3}}}},
                                         {{"name", "sliding_window"}, {"kwargs", {{"block_size", 4}}}}})}};
  cases.push_back({"hybrid_layer_1_sliding_window", "hybrid", conv_then_window, 1});
  cases.push_back({"hybrid_layer_2_wraps_to_base_conv", "hybrid", conv_then_window, 2});
  // RWKV's initialisation depends on layer_idx (and on n_layer, not the model's depth).
  cases.push_back({"rwkv_layer_1", "rwkv", nlohmann::json::object(), 1});
  cases.push_back({"rwkv_last_layer_n_layer_2", "rwkv", {{"n_layer", 2}}, 2});
  // selective: the causal eval selection, and the other two reference selectors (sma is causal in
  // training; softmax normalises over the whole sequence, see IsCausal).
  cases.push_back({"selective_causal_topk", "selective", {{"causal_topk", true}}, 0});
  cases.push_back(
      {"selective_sma_causal_topk", "selective", {{"selector", "sma"}, {"causal_topk", true}}, 0});
  cases.push_back({"selective_softmax", "selective", {{"selector", "softmax"}}, 0});
  // H3 with Figure 2's head_dim 2 and a state shorter than the sequence (the shift kernel is zero-padded).
  cases.push_back({"h3_head_dim_2", "h3", {{"head_dim", 2}, {"d_state", 8}}, 0});
  cases.push_back(
      {"mamba_small_biased",
       "mamba",
       {{"d_state", 4}, {"d_conv", 2}, {"expand", 1}, {"dt_rank", 3}, {"bias", true}, {"conv_bias", false}},
       0});
  // Mamba-2's other paths: groups, a gated-MLP part, D per channel, norm before the gate, dt limits, a
  // chunk that does not divide L; and without the gated norm.
  cases.push_back({"mamba2_grouped_mlp_part",
                   "mamba2",
                   {{"d_state", 8},
                    {"headdim", 4},
                    {"d_ssm", 24},
                    {"ngroups", 2},
                    {"D_has_hdim", true},
                    {"norm_before_gate", true},
                    {"dt_limit_min", 0.01},
                    {"dt_limit_max", 0.5},
                    {"chunk_size", 5}},
                   0});
  cases.push_back({"mamba2_no_rmsnorm", "mamba2", {{"headdim", 8}, {"rmsnorm", false}, {"expand", 1}}, 0});
  // gla: shared key/value heads with short convolutions and a feature map; the unfused norm and gate.
  cases.push_back(
      {"gla_kv_heads_short_conv",
       "gla",
       {{"num_kv_heads", 2}, {"use_short_conv", true}, {"feature_map", "relu"}, {"clamp_min", -0.5}},
       0});
  cases.push_back({"gla_unfused_sigmoid_gate", "gla", {{"fuse_norm", false}, {"gate_fn", "sigmoid"}}, 0});
  // The delta-rule family's other branches: output gate, β doubled, elu + 1 with sum normalisation,
  // narrower keys; no β with identity features; Gated DeltaNet without its output gate.
  cases.push_back({"delta_net_gate_neg_eigval_elu_sum",
                   "delta_net",
                   {{"num_heads", 2},
                    {"expand_k", 0.5},
                    {"use_gate", true},
                    {"allow_neg_eigval", true},
                    {"qk_activation", "elu"},
                    {"qk_norm", "sum"}},
                   0});
  cases.push_back(
      {"delta_net_no_beta_identity", "delta_net", {{"use_beta", false}, {"qk_activation", "identity"}}, 0});
  cases.push_back({"gated_delta_net_2_heads_no_gate",
                   "gated_delta_net",
                   {{"num_heads", 2}, {"use_gate", false}, {"expand_v", 1}},
                   0});
  // nsa: grouped-query attention with per-query-head selection over blocks of 4, and Zoology's dense causal
  // fine branch (num_selected_blocks 0) without the input norm.
  cases.push_back({"nsa_gqa_per_head_selection",
                   "nsa",
                   {{"num_heads", 4},
                    {"kv_heads", 2},
                    {"query_heads_share_selected_kv", false},
                    {"compress_block_size", 4},
                    {"selection_block_size", 4},
                    {"num_selected_blocks", 2},
                    {"sliding_window_size", 5}},
                   0});
  cases.push_back({"nsa_dense_fine_no_norm",
                   "nsa",
                   {{"num_selected_blocks", 0}, {"norm", false}, {"num_compressed_mem_kv", 3}},
                   0});
  // rwkv7 with several heads (group norm and κ̂ per head), small ranks and no norm weight or bias.
  cases.push_back({"rwkv7_4_heads_small_ranks",
                   "rwkv7",
                   {{"num_heads", 4},
                    {"decay_low_rank_dim", 2},
                    {"gate_low_rank_dim", 3},
                    {"a_low_rank_dim", 2},
                    {"elementwise_affine", false}},
                   0});
  // TTT: mini-batches of 4 (kLen = 24 is six; causality within a mini-batch is checked at t = 5) with the
  // gate and the shared q/k projection with its convolutions; and one mini-batch longer than the sequence.
  cases.push_back({"ttt_mini_batch_4_gate_share_qk",
                   "ttt",
                   {{"mini_batch_size", 4}, {"use_gate", true}, {"share_qk", true}},
                   1});
  cases.push_back({"ttt_2_heads_mini_batch_32", "ttt", {{"num_heads", 2}, {"mini_batch_size", 32}}, 0});
  cases.push_back({"ttt_mlp_mini_batch_8", "ttt", {{"ttt_layer_type", "mlp"}, {"mini_batch_size", 8}}, 0});
  return cases;
}

constexpr int64_t kBatch = 2, kLen = 24, kDim = 16;

MixerPtr build(const MixerCase& c, uint64_t seed) {
  torch::manual_seed(seed);
  auto mixer = build_mixer(MixerKind::Sequence, c.name, c.kwargs, MixerContext{kDim, c.layer_idx, 2, kLen});
  mixer->eval();
  return mixer;
}

class MixerContract : public ::testing::TestWithParam<MixerCase> {};

TEST_P(MixerContract, KeepsTheShape) {
  auto mixer = build(GetParam(), 1);
  auto u = torch::randn({kBatch, kLen, kDim});
  EXPECT_EQ(mixer->forward(u).sizes(), u.sizes());
  // Shorter sequences than l_max work too.
  auto shorter = torch::randn({kBatch, 7, kDim});
  EXPECT_EQ(mixer->forward(shorter).sizes(), shorter.sizes());
}

TEST_P(MixerContract, IsCausal) {
  auto mixer = build(GetParam(), 2);
  // Documented exceptions (models/mixers/selective.h): selective's reference eval path keeps the top k
  // of the whole sequence, which leaks the future, so without causal_topk it is checked in training
  // mode (y = s·attn + x, causal with the sigmoid and sma selectors); the softmax selector normalises
  // over all positions and is causal in neither mode, so it is skipped.
  if (GetParam().name == "selective") {
    if (GetParam().kwargs.value("selector", "sigmoid") == "softmax") {
      GTEST_SKIP() << "selective selector softmax is not causal (softmax over positions, as the reference)";
    }
    if (!GetParam().kwargs.value("causal_topk", false)) {
      mixer->train();
    }
  }
  torch::NoGradGuard no_grad;
  auto u = torch::randn({kBatch, kLen, kDim});
  const auto y = mixer->forward(u);
  for (int64_t t : {0L, 5L, kLen - 1}) {
    auto changed = u.clone();
    changed.select(1, t).add_(torch::randn({kBatch, kDim}) * 3.0);
    const auto y_changed = mixer->forward(changed);
    if (t > 0) {
      EXPECT_TRUE(torch::allclose(y.narrow(1, 0, t), y_changed.narrow(1, 0, t), 1e-5, 1e-6))
          << "outputs before position " << t << " changed";
    }
    // The change must be visible somewhere at or after t, or the test could not fail.
    EXPECT_FALSE(torch::allclose(y.narrow(1, t, kLen - t), y_changed.narrow(1, t, kLen - t)));
  }
}

TEST_P(MixerContract, IsDeterministicUnderASeed) {
  auto a = build(GetParam(), 7);
  auto b = build(GetParam(), 7);
  auto c = build(GetParam(), 8);
  torch::manual_seed(0);
  auto u = torch::randn({kBatch, kLen, kDim});
  EXPECT_TRUE(torch::equal(a->forward(u), b->forward(u)));
  EXPECT_FALSE(torch::equal(a->forward(u), c->forward(u)));
}

TEST_P(MixerContract, HasFiniteGradientsForEveryTrainableParameter) {
  auto mixer = build(GetParam(), 3);
  mixer->train();
  auto u = torch::randn({kBatch, kLen, kDim}, torch::requires_grad());
  mixer->forward(u).pow(2).mean().backward();
  int64_t trainable = 0;
  for (const auto& item : mixer->named_parameters()) {
    if (!item.value().requires_grad()) {
      continue;
    }
    ++trainable;
    ASSERT_TRUE(item.value().grad().defined()) << item.key() << " got no gradient";
    EXPECT_TRUE(torch::isfinite(item.value().grad()).all().item<bool>()) << item.key();
  }
  EXPECT_GT(trainable, 0);
  EXPECT_TRUE(torch::isfinite(u.grad()).all().item<bool>());
}

TEST_P(MixerContract, HasAPositiveStateSize) {
  EXPECT_GT(build(GetParam(), 4)->state_size(kLen), 0);
}

TEST_P(MixerContract, RoundTripsItsStateDict) {
  auto original = build(GetParam(), 5);
  std::stringstream stream;
  {
    torch::serialize::OutputArchive archive;
    original->save(archive);
    archive.save_to(stream);
  }
  auto restored = build(GetParam(), 6);  // other initial weights
  torch::serialize::InputArchive archive;
  archive.load_from(stream);
  restored->load(archive);
  auto u = torch::randn({kBatch, kLen, kDim});
  EXPECT_TRUE(torch::equal(original->forward(u), restored->forward(u)));
  const auto names = original->named_parameters().keys();
  EXPECT_EQ(names, restored->named_parameters().keys());
}

// The inspector's hook (models/mixer.h): nothing is kept unless asked; when asked, every mixer shows at
// least one pattern, attention-like patterns are causal (B, H, L, L) weights whose rows sum to 1.
TEST_P(MixerContract, CapturesItsPatternsOnlyWhenAsked) {
  auto mixer = build(GetParam(), 7);
  auto u = torch::randn({kBatch, kLen, kDim});
  mixer->forward(u);
  EXPECT_TRUE(mixer->captured().empty());

  mixer->set_capture(true);
  mixer->forward(u);
  const auto patterns = mixer->captured();
  ASSERT_FALSE(patterns.empty()) << "forward with capture on kept no pattern";
  for (const auto& [name, pattern] : patterns) {
    EXPECT_FALSE(pattern.requires_grad()) << name;
    EXPECT_TRUE(torch::isfinite(pattern).all().item<bool>()) << name;
    if (name == "attention") {
      ASSERT_EQ(pattern.dim(), 4);
      EXPECT_EQ(pattern.size(0), kBatch);
      EXPECT_EQ(pattern.size(2), kLen);
      EXPECT_EQ(pattern.size(3), kLen);
      EXPECT_LT(pattern.triu(1).abs().max().item<double>(), 1e-3) << "weights on future positions";
      // A row sums to 1, or to 0 where a linear attention's features all vanish (relu feature maps).
      const auto sums = pattern.sum(-1);
      EXPECT_TRUE(((sums - 1).abs().lt(1e-3) | sums.abs().lt(1e-6)).all().item<bool>())
          << "rows must sum to 1";
    }
  }
  mixer->set_capture(false);
  EXPECT_TRUE(mixer->captured().empty());
}

INSTANTIATE_TEST_SUITE_P(AllMixers, MixerContract, ::testing::ValuesIn(mixer_cases()),
                         [](const ::testing::TestParamInfo<MixerCase>& info) { return info.param.label; });

TEST(MixerRegistry, EverySequenceMixerIsCoveredByTheContract) {
  std::set<std::string> covered;
  for (const auto& c : mixer_cases()) {
    covered.insert(c.name);
  }
  for (const auto& spec : mixer_registry()) {
    if (spec.kind == MixerKind::Sequence) {
      EXPECT_TRUE(covered.count(spec.name)) << spec.name;
    }
  }
}

TEST(MixerRegistry, RejectsUnknownAndMistypedKwargsNamingThem) {
  const MixerContext context{kDim, 0, 2, kLen};
  try {
    build_mixer(MixerKind::Sequence, "attention", {{"num_head", 2}}, context, "model.sequence_mixer.kwargs");
    FAIL() << "unknown kwarg accepted";
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("model.sequence_mixer.kwargs.num_head"), std::string::npos) << message;
    EXPECT_NE(message.find("num_heads"), std::string::npos) << message;  // lists the allowed names
  }
  try {
    build_mixer(MixerKind::Sequence, "attention", {{"dropout", "high"}}, context, "k");
    FAIL() << "mistyped kwarg accepted";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("k.dropout: expected a number"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(build_mixer(MixerKind::Sequence, "attention", {{"num_heads", 3}}, context),
               std::invalid_argument);
  EXPECT_THROW(build_mixer(MixerKind::Sequence, "no_such_mixer", {}, context), std::invalid_argument);
  EXPECT_THROW(
      build_mixer(MixerKind::Sequence, "base_conv", {{"kernel_size", {3}}}, MixerContext{kDim, 1, 2, kLen}),
      std::invalid_argument);
}

TEST(SlidingWindow, SeesExactlyTheLastBlockSizePlusOnePositions) {
  constexpr int64_t kBlock = 4;
  torch::manual_seed(11);
  auto mixer = build_mixer(MixerKind::Sequence, "sliding_window", {{"block_size", kBlock}},
                           MixerContext{kDim, 0, 2, kLen});
  mixer->eval();
  torch::NoGradGuard no_grad;
  auto u = torch::randn({kBatch, kLen, kDim});
  const int64_t t = 3;
  auto changed = u.clone();
  changed.select(1, t).add_(3.0);
  const auto y = mixer->forward(u), y_changed = mixer->forward(changed);
  // Position t + block_size still sees t; the positions after it do not.
  EXPECT_FALSE(torch::allclose(y.select(1, t + kBlock), y_changed.select(1, t + kBlock)));
  const int64_t after = t + kBlock + 1;
  EXPECT_TRUE(torch::equal(y.narrow(1, after, kLen - after), y_changed.narrow(1, after, kLen - after)));
  EXPECT_EQ(mixer->state_size(kLen), 2 * kBlock * kDim);
}

TEST(SlidingWindow, EqualsAttentionWhenTheWindowCoversTheSequence) {
  const MixerContext context{kDim, 0, 2, kLen};
  auto window = build_mixer(MixerKind::Sequence, "sliding_window", {{"block_size", kLen}}, context);
  auto attention = build_mixer(MixerKind::Sequence, "attention", {{"num_heads", 1}}, context);
  {
    torch::NoGradGuard no_grad;
    auto theirs = attention->named_parameters();
    for (auto& item : window->named_parameters()) {
      item.value().copy_(theirs[item.key()]);  // same names: Wqkv, out_proj
    }
  }
  window->eval();
  attention->eval();
  auto u = torch::randn({kBatch, kLen, kDim});
  EXPECT_TRUE(torch::allclose(window->forward(u), attention->forward(u), 1e-5, 1e-6));
}

TEST(Hybrid, BuildsConfigsAtLayerModuloTheirCountUnderZoologysName) {
  const nlohmann::json kwargs = {
      {"configs", nlohmann::json::array({{{"name", "base_conv"}, {"kwargs", {{"kernel_size", 3}}}},
                                         {{"name", "sliding_window"}, {"kwargs", {{"block_size", 4}}}}})}};
  for (int64_t layer : {0, 1, 2, 3}) {
    auto hybrid = build_mixer(MixerKind::Sequence, "hybrid", kwargs, MixerContext{kDim, layer, 4, kLen});
    const auto names = hybrid->named_parameters().keys();
    const std::string expected = layer % 2 == 0 ? "mixer.projection.weight" : "mixer.Wqkv.weight";
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << "layer " << layer;
    EXPECT_EQ(hybrid->state_size(kLen), layer % 2 == 0 ? kDim * 3 : 2 * 4 * kDim) << "layer " << layer;
  }
}

TEST(Hybrid, NamesTheFaultyConfigEntryInErrors) {
  const MixerContext context{kDim, 0, 2, kLen};
  const std::string path = "model.sequence_mixer.kwargs";
  auto message_of = [&](const nlohmann::json& configs) {
    try {
      build_mixer(MixerKind::Sequence, "hybrid", {{"configs", configs}}, context, path);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("(accepted)");
  };
  const nlohmann::json conv = {{"name", "base_conv"}, {"kwargs", {{"kernel_size", 3}}}};
  auto message = message_of({conv, {{"name", "sliding_window"}, {"kwargs", {{"block_size", -1}}}}});
  EXPECT_EQ(message.rfind(path + ".configs[1].kwargs.block_size: ", 0), 0u) << message;
  message = message_of({conv, {{"name", "no_such_mixer"}}});
  EXPECT_EQ(message.rfind(path + ".configs[1].name: ", 0), 0u) << message;
  EXPECT_NE(message.find("sliding_window"), std::string::npos) << message;  // lists the registered names
  message = message_of({{{"kwargs", nlohmann::json::object()}}});
  EXPECT_EQ(message.rfind(path + ".configs[0].name: ", 0), 0u) << message;
  message = message_of({conv, {{"name", "attention"}, {"kwarg", nlohmann::json::object()}}});
  EXPECT_EQ(message.rfind(path + ".configs[1].kwarg: ", 0), 0u) << message;
  message = message_of({conv, {{"name", "attention"}, {"kwargs", {{"num_head", 2}}}}});
  EXPECT_EQ(message.rfind(path + ".configs[1].kwargs.num_head: ", 0), 0u) << message;
  message = message_of(nlohmann::json::array());
  EXPECT_EQ(message.rfind(path + ".configs: ", 0), 0u) << message;
}

TEST(MixerRegistry, FillsDefaultsAndTakesLMaxFromTheModel) {
  const auto& spec = find_mixer(MixerKind::Sequence, "base_conv");
  const auto resolved =
      resolve_mixer_kwargs(spec, nlohmann::json::object(), "k", MixerContext{kDim, 0, 2, 96});
  EXPECT_EQ(resolved.at("l_max").get<int64_t>(), 96);
  EXPECT_EQ(resolved.at("kernel_size").get<int64_t>(), 3);
  EXPECT_FALSE(resolved.at("use_act").get<bool>());
}

}  // namespace
}  // namespace zoolab
