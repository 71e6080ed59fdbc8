// Parity with the reference: Zoology's LanguageModel (commit 0bb9665) was run on fixed weights and
// inputs by tests/models/fixtures/make_parity_fixtures.py; our model, loaded with the same weights by
// name, must give the same logits, loss and parameter gradients.

#include <fstream>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "models/language_model.h"

namespace zoolab {
namespace {

nlohmann::json load_fixture(const std::string& name) {
  const std::string path = std::string(ZOOLAB_SOURCE_DIR) + "/tests/models/fixtures/parity_" + name + ".json";
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("missing fixture " + path);
  }
  return nlohmann::json::parse(in);
}

torch::Tensor to_tensor(const nlohmann::json& entry) {
  const auto shape = entry.at("shape").get<std::vector<int64_t>>();
  const auto values = entry.at("values").get<std::vector<double>>();
  return torch::tensor(values, torch::kDouble).view(shape).to(torch::kFloat);
}

class Parity : public ::testing::TestWithParam<std::string> {};

TEST_P(Parity, MatchesZoologyLogitsLossAndGradients) {
  const auto fixture = load_fixture(GetParam());
  const auto& m = fixture.at("model");
  LanguageModelOptions options;
  options.d_model = m.at("d_model");
  options.n_layers = m.at("n_layers");
  options.vocab_size = m.at("vocab_size");
  options.max_position_embeddings = m.at("max_position_embeddings");
  options.l_max = m.at("l_max");
  options.embed_dropout = 0.0;
  options.resid_dropout = 0.0;
  options.sequence_mixer = m.at("sequence_mixer");
  options.sequence_mixer_kwargs = m.at("sequence_mixer_kwargs");
  options.state_mixer = m.at("state_mixer");
  options.state_mixer_kwargs = m.at("state_mixer_kwargs");
  options.block_type = m.value("block_type", "transformer");
  LanguageModel model(options);
  model->eval();

  // Every reference tensor maps onto ours by name and shape, and every one of ours is covered.
  auto ours = model->named_parameters();
  std::set<std::string> loaded;
  {
    torch::NoGradGuard no_grad;
    for (const auto& [name, entry] : fixture.at("state_dict").items()) {
      const auto value = to_tensor(entry);
      if (name == "lm_head.weight") {  // tied to the word embeddings
        EXPECT_TRUE(torch::equal(value, to_tensor(fixture.at("state_dict").at(
                                            "backbone.embeddings.word_embeddings.weight"))));
        continue;
      }
      auto* ours_tensor = ours.find(name);
      ASSERT_NE(ours_tensor, nullptr) << "reference tensor " << name << " has no counterpart";
      ASSERT_EQ(ours_tensor->sizes(), value.sizes()) << name;
      ours_tensor->copy_(value);
      loaded.insert(name);
    }
  }
  for (const auto& name : ours.keys()) {
    EXPECT_TRUE(loaded.count(name)) << "our parameter " << name << " is not in the reference state dict";
  }

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
  const auto expected = to_tensor(fixture.at("logits"));
  ASSERT_EQ(logits.sizes(), expected.sizes());
  EXPECT_LT((logits - expected).abs().max().item<double>(), 2e-4);

  // The head at labelled positions only gives the same logits (DESIGN §6).
  const auto positions = (targets.view(-1) != -100).nonzero().view(-1);
  const auto picked = model->forward_at(batch, positions);
  EXPECT_LT((picked - logits.view({-1, logits.size(-1)}).index_select(0, positions)).abs().max().item<double>(),
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
    const auto reference = to_tensor(entry);
    const double scale = std::max(1e-3, reference.abs().max().item<double>());
    EXPECT_LT((param->grad() - reference).abs().max().item<double>() / scale, 1e-3) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(ReferenceFixtures, Parity,
                         ::testing::Values("attention", "base_conv", "base_conv_explicit_mlp",
                                           "based_taylor", "based_linear",
                                           "selective", "selective_softmax", "selective_sma",
                                           "sliding_window", "hybrid_base_conv_sliding", "attention_glu",
                                           "hyena", "h3", "h3_head_dim_2", "h3_l_max_8", "mamba", "mamba_options",
                                           "rwkv", "rwkv_n_layer_4_mlp"));

}  // namespace
}  // namespace zoolab
