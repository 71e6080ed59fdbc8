// Based linear attention (models/mixers/based.h) and its feature maps beyond the generic mixer
// contract: the two train views agree, the Taylor map's kernel is the 2nd-order expansion of exp,
// the state size follows Zoology's formula, and bad settings are rejected by name.

#include <cmath>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mixers/based.h"
#include "models/mixers/feature_maps.h"

namespace zoolab {
namespace {

// Two mixers with identical weights that differ only in train_view.
std::pair<Based, Based> twin_views(BasedOptions options) {
  torch::manual_seed(11);
  Based linear(options.train_view("linear"));
  Based quadratic(options.train_view("quadratic"));
  torch::NoGradGuard no_grad;
  auto source = linear->named_parameters();
  for (auto& item : quadratic->named_parameters()) {
    item.value().copy_(source[item.key()]);
  }
  for (auto& item : quadratic->named_buffers()) {
    item.value().copy_(*linear->named_buffers().find(item.key()));
  }
  return {linear, quadratic};
}

void expect_views_agree(const BasedOptions& options) {
  auto [linear, quadratic] = twin_views(options);
  torch::manual_seed(12);
  const auto u = torch::randn({2, 20, options.d_model()}, torch::kDouble);
  linear->to(torch::kDouble);
  quadratic->to(torch::kDouble);
  auto u_linear = u.clone().requires_grad_(true), u_quadratic = u.clone().requires_grad_(true);
  const auto y_linear = linear->forward(u_linear), y_quadratic = quadratic->forward(u_quadratic);
  EXPECT_TRUE(torch::allclose(y_linear, y_quadratic, 1e-9, 1e-10))
      << options.feature_name() << " max diff " << (y_linear - y_quadratic).abs().max().item<double>();

  // A loss that weights every position differently, so the gradients see the whole output.
  const auto weights = torch::randn_like(y_linear);
  (y_linear * weights).sum().backward();
  (y_quadratic * weights).sum().backward();
  EXPECT_TRUE(torch::allclose(u_linear.grad(), u_quadratic.grad(), 1e-8, 1e-10));
  auto linear_params = linear->named_parameters();
  for (const auto& item : quadratic->named_parameters()) {
    EXPECT_TRUE(torch::allclose(item.value().grad(), linear_params[item.key()].grad(), 1e-8, 1e-10))
        << options.feature_name() << " " << item.key();
  }
}

TEST(Based, LinearAndQuadraticViewsGiveTheSameOutputsAndGradients) {
  expect_views_agree(BasedOptions(16).feature_dim(4).num_heads(2).num_key_value_heads(2));
  expect_views_agree(BasedOptions(16));  // Zoology's defaults: 12 heads of head_dim ⌊16/12⌋ = 1
  expect_views_agree(
      BasedOptions(12).feature_dim(3).num_heads(1).num_key_value_heads(1).feature_name("pos_elu"));
  expect_views_agree(
      BasedOptions(8).feature_dim(4).num_heads(2).num_key_value_heads(2).feature_name("all_poly"));
}

TEST(Based, MatchesTheRecurrenceWrittenOut) {
  // y_i = φ(q_i)·S_i / (φ(q_i)·z_i + eps), S_i = Σ_{j≤i} φ(k_j) v_jᵀ, z_i = Σ_{j≤i} φ(k_j); one head.
  torch::manual_seed(3);
  Based based(BasedOptions(6).feature_dim(2).num_heads(1).num_key_value_heads(1));
  based->to(torch::kDouble);
  torch::NoGradGuard no_grad;
  const auto u = torch::randn({1, 9, 6}, torch::kDouble);
  const auto q = based->feature_map->forward(based->proj_q(u)[0]);  // (L, E)
  const auto k = based->feature_map->forward(based->proj_k(u)[0]);
  const auto v = based->proj_v(u)[0];  // (L, hd)
  auto state = torch::zeros({q.size(1), v.size(1)}, torch::kDouble);
  auto normaliser = torch::zeros({q.size(1)}, torch::kDouble);
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < u.size(1); ++i) {
    state += torch::outer(k[i], v[i]);
    normaliser += k[i];
    rows.push_back(torch::matmul(q[i], state) / (torch::dot(q[i], normaliser) + 1e-12));
  }
  const auto expected = based->proj_o(torch::stack(rows)).unsqueeze(0);
  EXPECT_TRUE(torch::allclose(based->forward(u), expected, 1e-10, 1e-12));
}

TEST(TaylorExp, KernelIsTheSecondOrderExpansionOfExp) {
  // Zoology PR #11's check: φ(q)·φ(k) = 1 + s + s²/2 with s = q·k/√f.
  for (int64_t f : {4, 8, 16}) {
    TaylorExp map{FeatureMapOptions(f)};
    torch::manual_seed(f);
    const auto q = torch::randn({5, f}, torch::kDouble), k = torch::randn({5, f}, torch::kDouble);
    const auto s = (q * k).sum(-1) / std::sqrt(static_cast<double>(f));
    const auto kernel = (map->forward(q) * map->forward(k)).sum(-1);
    EXPECT_TRUE(torch::allclose(kernel, 1 + s + s * s / 2, 1e-12, 1e-12)) << "f = " << f;
    EXPECT_EQ(map->forward(q).size(-1), 1 + f + f * f);  // the full outer product, not the reported width
  }
}

TEST(FeatureMaps, MatchZoologysOnAFixedInput) {
  // Values printed by the reference maps (zoology/mixers/feature_maps, 0bb9665) in float64 for
  // x = sin(1.3·i + 0.2), i = 0..5, viewed (1, 1, 3, 2); all_poly with fixed weights.
  const auto x = torch::sin(torch::arange(6, torch::kDouble) * 1.3 + 0.2).view({1, 1, 3, 2});
  const std::vector<std::pair<std::string, std::vector<double>>> expected = {
      {"pos_elu", {1.1986693308, 1.9974949866, 1.33498815016, 0.441191123383, 0.46173484208, 1.40484992062}},
      {"relu", {0.198669330795, 0.997494986604, 0.334988150156, 1e-12, 1e-12, 0.404849920617}},
      {"square",
       {0.0394695029986, 0.9949962483, 0.112217060745, 0.669577430492, 0.597164953228, 0.163903458223}},
      {"cosformer",
       {0.0993346653975, 0.498747493302, 0.172052687421, 0.863855998547, 0.290108248002, 0, 0.167494075078, 0,
        0, 0.404849920617, 0, 2.47899079709e-17}},
      {"all_poly",
       {1.6048383838, 0.509599669341, 1.33780938887, 0.303135709671, 0.29983435435, 1.55205531102}},
  };
  for (const auto& [name, values] : expected) {
    auto map = make_feature_map(name, FeatureMapOptions(2));
    map->to(torch::kDouble);
    if (auto* poly = dynamic_cast<AllPolyImpl*>(map.get())) {
      torch::NoGradGuard no_grad;
      poly->proj_1->weight.copy_(torch::tensor({0.5, -1.0, 2.0, 0.25}, torch::kDouble).view({2, 2}));
      poly->proj_2->weight.copy_(torch::tensor({-0.75, 1.5, 0.1, 0.3}, torch::kDouble).view({2, 2}));
    }
    const auto got = map->forward(x).flatten();
    EXPECT_TRUE(torch::allclose(got, torch::tensor(values, torch::kDouble), 1e-9, 1e-11))
        << name << ": " << got;
  }
  // Performer with random_feats[r][c] = cos(2r + c): reference sum 40.0452677846, first 0.0806152759689.
  Performer performer{FeatureMapOptions(2)};
  performer->random_feats.copy_(torch::cos(torch::arange(512, torch::kDouble)).view({256, 2}));
  const auto features = performer->forward(x);
  EXPECT_NEAR(features.sum().item<double>(), 40.0452677846, 1e-5);
  EXPECT_NEAR(features.flatten()[0].item<double>(), 0.0806152759689, 1e-7);
}

TEST(Based, StateSizeFollowsZoologysFormula) {
  // Reported widths f(f+1)/2 + f + 1 = 45/153/325; state = kv_heads·head_dim·E + kv_heads·E.
  const std::vector<std::pair<int64_t, int64_t>> widths = {{8, 45}, {16, 153}, {24, 325}};
  for (const auto& [f, expanded] : widths) {
    EXPECT_EQ(TaylorExp(FeatureMapOptions(f))->expanded_size(), expanded);
    Based one_head(BasedOptions(128).feature_dim(f).num_heads(1).num_key_value_heads(1));
    EXPECT_EQ(one_head->state_size(1024), 128 * expanded + expanded);
    Based four_heads(BasedOptions(128).feature_dim(f).num_heads(4).num_key_value_heads(4));
    EXPECT_EQ(four_heads->state_size(64), 4 * 32 * expanded + 4 * expanded);
  }
  // Maps that keep the width report f; cosformer 2f; performer reports f although it returns 256.
  EXPECT_EQ(Based(BasedOptions(16).feature_dim(4).feature_name("cosformer"))->feature_map->expanded_size(),
            8);
  EXPECT_EQ(Based(BasedOptions(16).feature_dim(4).feature_name("performer"))->feature_map->expanded_size(),
            4);
}

TEST(Based, ParameterNamesAreZoologys) {
  Based taylor(BasedOptions(16).feature_dim(4).num_heads(2).num_key_value_heads(2));
  EXPECT_EQ(taylor->named_parameters().keys(),
            (std::vector<std::string>{"proj_q.weight", "proj_k.weight", "proj_v.weight", "proj_o.weight"}));
  EXPECT_EQ(taylor->proj_q->weight.sizes(), torch::IntArrayRef({8, 16}));
  EXPECT_EQ(taylor->proj_v->weight.sizes(), torch::IntArrayRef({16, 16}));
  Based poly(BasedOptions(16).feature_dim(4).feature_name("all_poly"));
  EXPECT_TRUE(poly->named_parameters().contains("feature_map.proj_1.weight"));
  EXPECT_TRUE(poly->named_parameters().contains("feature_map.proj_2.weight"));
  Based performer(BasedOptions(16).feature_dim(4).feature_name("performer"));
  EXPECT_EQ(performer->named_buffers()["feature_map.random_feats"].sizes(), torch::IntArrayRef({256, 4}));
}

TEST(Performer, RandomFeaturesAreScaledOrthogonalBlocks) {
  torch::manual_seed(5);
  Performer map(FeatureMapOptions(6));  // 256 = 42 blocks of 6 rows + 4
  const auto block = map->random_feats.narrow(0, 0, 6).to(torch::kDouble);
  const double scale = 1.0 / std::sqrt(42.0 + 4.0 / 6.0);
  EXPECT_TRUE(torch::allclose(torch::matmul(block, block.t()), torch::eye(6, torch::kDouble) * scale * scale,
                              1e-5, 1e-6));
}

TEST(Based, RejectsBadSettingsNamingKeyAndValue) {
  auto message = [](const BasedOptions& options) -> std::string {
    try {
      Based based(options);
    } catch (const std::invalid_argument& error) {
      return error.what();
    }
    return "accepted";
  };
  const auto heads = message(BasedOptions(16).num_heads(2).num_key_value_heads(1));
  EXPECT_NE(heads.find("based: num_heads 2"), std::string::npos) << heads;
  const auto view = message(BasedOptions(16).train_view("cubic"));
  EXPECT_NE(view.find("train_view \"cubic\""), std::string::npos) << view;
  const auto map = message(BasedOptions(16).feature_name("softmax"));
  EXPECT_NE(map.find("feature_name \"softmax\""), std::string::npos) << map;
  const auto kv = message(BasedOptions(16).num_heads(32).num_key_value_heads(32));
  EXPECT_NE(kv.find("num_key_value_heads 32"), std::string::npos) << kv;
}

}  // namespace
}  // namespace zoolab
