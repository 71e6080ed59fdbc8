// Parity with the reference: Zoology's LanguageModel (commit 0bb9665) was run on fixed weights and
// inputs by tests/models/fixtures/make_parity_fixtures.py; our model, loaded with the same weights by
// name, must give the same logits, loss and parameter gradients.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/language_model.h"
#include "tests/models/reference_fixture.h"

namespace zoolab {
namespace {

class Parity : public ::testing::TestWithParam<std::string> {};

TEST_P(Parity, MatchesZoologyLogitsLossAndGradients) {
  const auto fixture = reference_fixture::load("tests/models/fixtures/parity_" + GetParam() + ".json");
  LanguageModel model(reference_fixture::model_options(fixture.at("model")));
  model->eval();
  // Every reference tensor maps onto ours by name and shape, and every one of ours is covered.
  reference_fixture::load_state_dict(model, fixture.at("state_dict"));
  ASSERT_FALSE(HasFatalFailure());
  auto ours = model->named_parameters();

  std::vector<torch::Tensor> rows, target_rows;
  for (const auto& row : fixture.at("inputs")) {
    rows.push_back(torch::tensor(row.get<std::vector<int64_t>>()));
  }
  for (const auto& row : fixture.at("targets")) {
    target_rows.push_back(torch::tensor(row.get<std::vector<int64_t>>()));
  }
  const auto batch = torch::stack(rows);
  const auto targets = torch::stack(target_rows);

  const auto logits = model->forward(batch);
  const auto expected = reference_fixture::to_tensor(fixture.at("logits"));
  ASSERT_EQ(logits.sizes(), expected.sizes());
  EXPECT_LT((logits - expected).abs().max().item<double>(), 2e-4);

  // The head at labelled positions only gives the same logits (docs/reference.md#what-zoolab-adds).
  const auto positions = (targets.view(-1) != -100).nonzero().view(-1);
  const auto picked = model->forward_at(batch, positions);
  EXPECT_LT(
      (picked - logits.view({-1, logits.size(-1)}).index_select(0, positions)).abs().max().item<double>(),
      1e-5);

  const auto loss = torch::nn::functional::cross_entropy(
      logits.view({-1, logits.size(-1)}), targets.view(-1),
      torch::nn::functional::CrossEntropyFuncOptions().ignore_index(-100));
  EXPECT_NEAR(loss.item<double>(), fixture.at("loss").get<double>(), 1e-5);
  loss.backward();
  for (const auto& [name, entry] : fixture.at("grads").items()) {
    if (name == "lm_head.weight") {
      continue;
    }
    const auto* param = ours.find(name);
    ASSERT_NE(param, nullptr) << name;
    ASSERT_TRUE(param->grad().defined()) << name;
    const auto reference = reference_fixture::to_tensor(entry);
    const double scale = std::max(1e-3, reference.abs().max().item<double>());
    EXPECT_LT((param->grad() - reference).abs().max().item<double>() / scale, 1e-3) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    ReferenceFixtures, Parity,
    ::testing::Values("attention", "base_conv", "base_conv_explicit_mlp", "based_taylor", "based_linear",
                      "selective", "selective_softmax", "selective_sma", "sliding_window",
                      "hybrid_base_conv_sliding", "attention_glu", "hyena", "h3", "h3_head_dim_2",
                      "h3_l_max_8", "mamba", "mamba_options", "rwkv", "rwkv_n_layer_4_mlp", "mamba2",
                      "mamba2_options", "mamba2_no_rmsnorm", "gla", "gla_options", "hybrid_base_conv_gla",
                      "delta_net", "delta_net_options", "gated_delta_net", "hybrid_base_conv_delta_net",
                      "hybrid_base_conv_gated_delta_net", "nsa", "nsa_gqa_options", "hybrid_base_conv_nsa",
                      "rwkv7", "hybrid_base_conv_rwkv7", "ttt_linear", "ttt_linear_remainder_gate_share_qk",
                      "ttt_mlp_remainder", "hybrid_base_conv_ttt"));

}  // namespace
}  // namespace zoolab
