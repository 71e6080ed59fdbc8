// The last block at the labelled rows alone (LanguageModel::hidden_at through BlockImpl::forward_at and
// MixerImpl::forward_at) against the whole backbone read at those rows: the same hidden states, the same
// gradients of every parameter and the same generator state after, in training mode with dropout, for the
// mixers with their own rows path (attention, BaseConv with short and long filters, Hyena with and without
// its dropout), a block on the default one, a state mixer, a single layer, and the whole-backbone fallback
// of residual dropout.

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/language_model.h"

namespace zoolab {
namespace {

constexpr int64_t kRowsVocab = 48;
constexpr int64_t kRowsLength = 24;

struct LastBlockCase {
  std::string name;
  std::string mixer;
  nlohmann::json kwargs;
  std::string block_type = "transformer";
  std::string state_mixer = "identity";
  int64_t n_layers = 2;
  double resid_dropout = 0.0;
};

void PrintTo(const LastBlockCase& c, std::ostream* os) {
  *os << c.name;
}

LanguageModel last_block_model(const LastBlockCase& c) {
  LanguageModelOptions options;
  options.vocab_size = kRowsVocab;
  options.d_model = 16;
  options.n_layers = c.n_layers;
  options.l_max = kRowsLength;
  options.max_position_embeddings = kRowsLength;
  options.embed_dropout = 0.1;
  options.resid_dropout = c.resid_dropout;
  options.block_type = c.block_type;
  options.sequence_mixer = c.mixer;
  options.sequence_mixer_kwargs = c.kwargs;
  options.state_mixer = c.state_mixer;
  torch::manual_seed(3);
  LanguageModel model(options);
  model->to(torch::kDouble);
  model->train();
  return model;
}

class LastBlockRows : public ::testing::TestWithParam<LastBlockCase> {};

TEST_P(LastBlockRows, GiveTheWholeBackbonesRowsAndGradients) {
  torch::manual_seed(11);
  const auto inputs = torch::randint(kRowsVocab, {5, kRowsLength}, torch::kLong);
  // MQAR-like: a few late positions per row, none in row 2.
  const auto positions = torch::tensor({12, 17, 23, 24 + 5, 24 + 20, 3 * 24 + 23, 4 * 24 + 9}, torch::kLong);

  // The loss on the hidden states at `positions`, computed `how`; the gradients and the next draw after.
  const auto run = [&](bool rows_path) {
    auto model = last_block_model(GetParam());
    torch::manual_seed(42);
    const auto hidden = rows_path ? model->hidden_at(inputs, positions)
                                  : model->backbone->ln_f(model->backbone->forward(inputs))
                                        .view({-1, 16})
                                        .index_select(0, positions);  // (N, D)
    const auto weights = torch::linspace(-1.0, 1.0, hidden.numel(), torch::kDouble).view(hidden.sizes());
    (hidden * weights).sum().backward();
    std::map<std::string, torch::Tensor> grads;
    for (const auto& item : model->named_parameters()) {
      if (item.value().grad().defined()) {
        grads[item.key()] = item.value().grad().clone();
      }
    }
    return std::make_tuple(hidden.detach(), grads, torch::randint(1 << 30, {}, torch::kLong).item<int64_t>());
  };
  const auto [expected, expected_grads, expected_draw] = run(false);
  const auto [got, got_grads, got_draw] = run(true);
  ASSERT_EQ(got.sizes(), expected.sizes());
  // Other dropout masks or other rows move these by ~1e-1; rounding by ~1e-15.
  EXPECT_LT((got - expected).abs().max().item<double>(), 1e-12);
  EXPECT_EQ(got_draw, expected_draw) << "the rows path drew other seeds than the whole backbone";
  ASSERT_EQ(got_grads.size(), expected_grads.size());
  for (const auto& [name, grad] : expected_grads) {
    ASSERT_TRUE(got_grads.count(name)) << name;
    EXPECT_LT((got_grads.at(name) - grad).abs().max().item<double>(), 1e-11) << name;
  }
}

// A batch without labelled positions (an evaluation batch can have none): (0, D) hidden states and a
// backward that leaves every gradient zero.
TEST_P(LastBlockRows, NoPositionsGiveNoRows) {
  auto model = last_block_model(GetParam());
  const auto inputs = torch::randint(kRowsVocab, {3, kRowsLength}, torch::kLong);
  const auto hidden = model->hidden_at(inputs, torch::zeros({0}, torch::kLong));  // (0, D)
  ASSERT_EQ(hidden.sizes(), (std::vector<int64_t>{0, 16}));
  hidden.sum().backward();
  for (const auto& item : model->named_parameters()) {
    if (item.value().grad().defined()) {
      EXPECT_EQ(item.value().grad().abs().max().item<double>(), 0.0) << item.key();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Models, LastBlockRows,
    ::testing::Values(
        LastBlockCase{"attention_two_heads", "attention", {{"dropout", 0.1}, {"num_heads", 2}}},
        LastBlockCase{
            "attention_no_bias_mlp", "attention", {{"dropout", 0.2}, {"bias", false}}, "transformer", "mlp"},
        LastBlockCase{"attention_one_layer", "attention", {{"dropout", 0.1}}, "transformer", "identity", 1},
        LastBlockCase{
            "attention_resid_dropout", "attention", {{"dropout", 0.1}}, "transformer", "identity", 2, 0.1},
        LastBlockCase{"base_conv_short", "base_conv", {{"kernel_size", 3}}},
        LastBlockCase{"base_conv_implicit_long", "base_conv", {{"kernel_size", {3, -1}}}},
        LastBlockCase{"base_conv_explicit_long_act",
                      "base_conv",
                      {{"kernel_size", -1}, {"implicit_long_conv", false}, {"use_act", true}}},
        LastBlockCase{"hyena", "hyena", nlohmann::json::object()},
        LastBlockCase{"hyena_dropout", "hyena", {{"dropout", 0.2}}},
        LastBlockCase{"mamba_block", "mamba", nlohmann::json::object(), "mamba"}),
    [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace zoolab
