// The selective mixer (models/mixers/selective.h) beyond the generic contract: its training output is
// s ⊙ MHA + x, the sigmoid selector's auxiliary loss, the eval path keeping exactly ⌈√L⌉ positions
// (or the streaming set with causal_topk), the reference's parameter names, and rejected settings.

#include <algorithm>
#include <cmath>
#include <fstream>

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "models/mixers/attention.h"
#include "models/mixers/selective.h"

namespace zoolab {
namespace {

constexpr int64_t kSelectiveDim = 16;

std::vector<std::string> names_of(const torch::nn::Module& module) {
  std::vector<std::string> names;
  for (const auto& item : module.named_parameters()) {
    names.push_back(item.key());
  }
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Selective, HasTheReferenceParameterNames) {
  using Names = std::vector<std::string>;
  EXPECT_EQ(names_of(*Selective(SelectiveOptions(kSelectiveDim))),
            (Names{"Wqkv.bias", "Wqkv.weight", "out_proj.bias", "out_proj.weight", "selecting.weight"}));
  EXPECT_EQ(names_of(*Selective(SelectiveOptions(kSelectiveDim).selector("softmax"))),
            (Names{"Wqkv.bias", "Wqkv.weight", "out_proj.bias", "out_proj.weight", "selecting.bias",
                   "selecting.weight"}));
  EXPECT_EQ(names_of(*Selective(SelectiveOptions(kSelectiveDim).selector("sma"))),
            (Names{"Wqkv.bias", "Wqkv.weight", "out_proj.bias", "out_proj.weight", "selection_proj.bias",
                   "selection_proj.weight", "temperature"}));
  Selective sma(SelectiveOptions(kSelectiveDim).selector("sma").alpha(0.5));
  EXPECT_NEAR(sma->temperature.item<double>(), std::sqrt(16.0) * 0.5, 1e-6);
}

TEST(Selective, TrainsOnTheSelectedShareOfAttentionPlusTheInput) {
  for (const char* selector : {"sigmoid", "softmax", "sma"}) {
    torch::manual_seed(1);
    Selective selective(SelectiveOptions(kSelectiveDim).num_heads(2).selector(selector));
    MHA attention(MHAOptions(kSelectiveDim).num_heads(2));
    {
      torch::NoGradGuard no_grad;
      auto ours = selective->named_parameters();
      for (auto& item : attention->named_parameters()) {
        item.value().copy_(ours[item.key()]);  // Wqkv, out_proj
      }
    }
    selective->train();
    selective->set_capture(true);
    const auto x = torch::randn({2, 11, kSelectiveDim});
    const auto y = selective->forward(x);
    const auto s = selective->captured().at("selector");  // (B, L)
    ASSERT_EQ(s.sizes(), (std::vector<int64_t>{2, 11}));
    EXPECT_TRUE(torch::allclose(y, attention->forward(x) * s.unsqueeze(-1) + x, 1e-5, 1e-6)) << selector;
    if (std::string(selector) == "softmax") {
      EXPECT_TRUE(torch::allclose(s.sum(1), torch::ones({2}), 1e-5, 1e-6)) << "softmax over positions";
    }
    EXPECT_EQ(selective->captured().at("attention").sizes(), (std::vector<int64_t>{2, 2, 11, 11}));
  }
}

TEST(Selective, PenalisesADenseSigmoidSelectorOnly) {
  torch::manual_seed(2);
  const int64_t len = 64;  // n_lookups = √64 = 8: the penalty starts above a mean selection of 8/64
  Selective selective{SelectiveOptions(kSelectiveDim)};
  selective->train();
  {
    torch::NoGradGuard no_grad;
    selective->selecting->weight.zero_();  // s = σ(0) = 0.5 everywhere: dense
  }
  const auto x = torch::randn({2, len, kSelectiveDim});
  selective->forward(x);
  auto penalty = selective->auxiliary_loss();
  ASSERT_TRUE(penalty.defined());
  EXPECT_GT(penalty.item<double>(), 0.0);
  EXPECT_NEAR(penalty.item<double>(), 0.001 * (0.5 - 8.0 / 64.0), 1e-9);
  // It trains the selector towards sparser selections.
  penalty.backward();
  EXPECT_GT(selective->selecting->weight.grad().abs().sum().item<double>(), 0.0);

  // Sparse enough: no penalty. x = 1 everywhere and weights -1 give s = σ(-16) ≈ 0.
  {
    torch::NoGradGuard no_grad;
    selective->selecting->weight.fill_(-1.0);
  }
  selective->forward(torch::ones({2, len, kSelectiveDim}));
  EXPECT_EQ(selective->auxiliary_loss().item<double>(), 0.0);

  // A given n_lookups sets the threshold; eval sets no penalty; the other selectors have none.
  Selective many(SelectiveOptions(kSelectiveDim).n_lookups(48).selection_penalty(0.5));
  many->train();
  {
    torch::NoGradGuard no_grad;
    many->selecting->weight.zero_();
  }
  many->forward(x);
  EXPECT_NEAR(many->auxiliary_loss().item<double>(), 0.0, 1e-12);  // 0.5 < 48/64
  many->eval();
  many->forward(x);
  EXPECT_FALSE(many->auxiliary_loss().defined());
  for (const char* selector : {"softmax", "sma"}) {
    Selective other(SelectiveOptions(kSelectiveDim).selector(selector));
    other->train();
    other->forward(x);
    EXPECT_FALSE(other->auxiliary_loss().defined()) << selector;
  }
}

// The positions where the eval output differs from the input, per batch row.
torch::Tensor changed_positions(const torch::Tensor& y, const torch::Tensor& x) {
  return (y - x).abs().amax(-1).gt(0);  // (B, L)
}

TEST(Selective, EvalKeepsExactlyTheTopKPositions) {
  for (const char* selector : {"sigmoid", "softmax", "sma"}) {
    for (int64_t len : {1, 7, 24, 30}) {
      torch::manual_seed(len);
      Selective selective(SelectiveOptions(kSelectiveDim).selector(selector));
      selective->eval();
      selective->set_capture(true);
      const auto x = torch::randn({3, len, kSelectiveDim});
      const auto y = selective->forward(x);
      const int64_t k = static_cast<int64_t>(std::ceil(std::sqrt(static_cast<double>(len))));
      const auto kept = changed_positions(y, x);
      EXPECT_TRUE(kept.sum(1).eq(k).all().item<bool>()) << selector << " L " << len << ": " << kept.sum(1);
      // ... and they are the k highest selections.
      const auto s = selective->captured().at("selector");  // (B, L)
      const auto top = std::get<1>(s.topk(k, 1));
      EXPECT_TRUE(kept.gather(1, top).all().item<bool>()) << selector << " L " << len;
    }
  }
  // With n_lookups given, that many (at most L).
  torch::manual_seed(3);
  Selective selective(SelectiveOptions(kSelectiveDim).n_lookups(3));
  selective->eval();
  const auto x = torch::randn({2, 20, kSelectiveDim});
  EXPECT_TRUE(changed_positions(selective->forward(x), x).sum(1).eq(3).all().item<bool>());
  EXPECT_EQ(selective->lookups_kept(2), 2);
}

TEST(Selective, CausalTopKKeepsThePositionsThatRankInTheirPrefix) {
  torch::manual_seed(4);
  const int64_t len = 30, k = 6;
  Selective selective(SelectiveOptions(kSelectiveDim).causal_topk(true));
  selective->eval();
  selective->set_capture(true);
  const auto x = torch::randn({2, len, kSelectiveDim});
  const auto kept = changed_positions(selective->forward(x), x);
  const auto s = selective->captured().at("selector");
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t i = 0; i < len; ++i) {
      const auto better_before = s[b].narrow(0, 0, i).ge(s[b][i]).sum().item<int64_t>();
      EXPECT_EQ(kept[b][i].item<bool>(), better_before < k) << "row " << b << " position " << i;
    }
  }
  EXPECT_TRUE(kept.narrow(1, 0, k).all().item<bool>());  // the first k always
  EXPECT_TRUE(kept.sum(1).ge(k).all().item<bool>());
}

TEST(Selective, EvalGradientsReachTheSelectorThroughTheKeptPositions) {
  torch::manual_seed(5);
  Selective selective{SelectiveOptions(kSelectiveDim)};
  selective->eval();
  auto x = torch::randn({2, 16, kSelectiveDim}, torch::requires_grad());
  const auto x_before = x.detach().clone();
  selective->forward(x).pow(2).sum().backward();
  EXPECT_TRUE(torch::equal(x.detach(), x_before)) << "the input must not be modified (the reference does)";
  EXPECT_GT(selective->selecting->weight.grad().abs().sum().item<double>(), 0.0);
  EXPECT_GT(selective->Wqkv->weight.grad().abs().sum().item<double>(), 0.0);
}

torch::Tensor fixture_tensor(const nlohmann::json& entry) {
  const auto shape = entry.at("shape").get<std::vector<int64_t>>();
  return torch::tensor(entry.at("values").get<std::vector<double>>(), torch::kDouble)
      .view(shape)
      .to(torch::kFloat);
}

// Zoology's SigmoidLookups in training mode (tests/models/fixtures/make_parity_fixtures_selective.py):
// output, auxiliary loss and the gradients of sum(y ⊙ w) + auxiliary loss. The model-level fixtures
// (test_parity.cpp) cover the eval path, where the reference sets no auxiliary loss.
TEST(Selective, MatchesZoologysSigmoidLookupsInTraining) {
  std::ifstream in(std::string(ZOOLAB_SOURCE_DIR) + "/tests/models/fixtures/selective_sigmoid_train.json");
  ASSERT_TRUE(in) << "missing fixture selective_sigmoid_train.json";
  const auto fixture = nlohmann::json::parse(in);
  Selective selective(
      SelectiveOptions(kSelectiveDim).num_heads(fixture.at("kwargs").at("num_heads").get<int64_t>()));
  auto params = selective->named_parameters();
  {
    torch::NoGradGuard no_grad;
    ASSERT_EQ(params.size(), fixture.at("state_dict").size());
    for (const auto& [name, entry] : fixture.at("state_dict").items()) {
      ASSERT_NE(params.find(name), nullptr) << name;
      params[name].copy_(fixture_tensor(entry));
    }
  }
  selective->train();
  auto x = fixture_tensor(fixture.at("x")).requires_grad_(true);
  const auto y = selective->forward(x);
  EXPECT_LT((y - fixture_tensor(fixture.at("y"))).abs().max().item<double>(), 1e-5);
  const auto auxiliary = selective->auxiliary_loss();
  ASSERT_TRUE(auxiliary.defined());
  EXPECT_GT(auxiliary.item<double>(), 0.0);
  EXPECT_NEAR(auxiliary.item<double>(), fixture.at("auxiliary_loss").get<double>(), 1e-9);
  ((y * fixture_tensor(fixture.at("weights"))).sum() + auxiliary).backward();
  for (const auto& [name, entry] : fixture.at("grads").items()) {
    const auto reference = fixture_tensor(entry);
    const double scale = std::max(1e-3, reference.abs().max().item<double>());
    EXPECT_LT((params[name].grad() - reference).abs().max().item<double>() / scale, 1e-4) << name;
  }
  const auto grad_x = fixture_tensor(fixture.at("grad_x"));
  EXPECT_LT((x.grad() - grad_x).abs().max().item<double>() / grad_x.abs().max().item<double>(), 1e-4);
}

TEST(Selective, RejectsBadSettingsByName) {
  auto message_of = [](const SelectiveOptions& options) {
    try {
      Selective selective(options);
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("(accepted)");
  };
  EXPECT_NE(message_of(SelectiveOptions(kSelectiveDim).num_heads(3)).find("selective: num_heads 3"),
            std::string::npos);
  EXPECT_NE(message_of(SelectiveOptions(kSelectiveDim).selector("topk")).find("selective: selector \"topk\""),
            std::string::npos);
  EXPECT_NE(message_of(SelectiveOptions(kSelectiveDim).n_lookups(-1)).find("selective: n_lookups -1"),
            std::string::npos);
  EXPECT_NE(
      message_of(SelectiveOptions(kSelectiveDim).selector("sma").n_lookups(4)).find("selective: n_lookups 4"),
      std::string::npos);
  EXPECT_NE(message_of(SelectiveOptions(kSelectiveDim).selector("sma").alpha(0.0)).find("selective: alpha"),
            std::string::npos);
  EXPECT_NE(message_of(SelectiveOptions(kSelectiveDim).selection_penalty(-1.0))
                .find("selective: selection_penalty"),
            std::string::npos);
}

}  // namespace
}  // namespace zoolab
