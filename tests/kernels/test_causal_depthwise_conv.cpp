// The fused causal depthwise convolution against its plain-torch reference (values and the gradients
// of x, taps and bias; float64 and float32; channel counts around the 16-channel block; short and
// long filters; strided inputs) and against the padded grouped Conv1d it replaces in the mixers.

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/causal_depthwise_conv.h"

namespace zoolab::kernels {
namespace {

double conv_max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// (B, L, C, K, bias)
using DepthwiseCase = std::tuple<int64_t, int64_t, int64_t, int64_t, bool>;

void expect_matches_reference(const DepthwiseCase& c, torch::Dtype dtype, double tol) {
  const auto [batch, len, channels, n_taps, with_bias] = c;
  const auto options = torch::dtype(dtype);
  auto x = torch::randn({batch, len, channels}, options).requires_grad_(true);
  auto taps = torch::randn({channels, n_taps}, options).requires_grad_(true);
  auto bias = with_bias ? torch::randn({channels}, options).requires_grad_(true) : torch::Tensor();
  const auto y = causal_depthwise_conv(x, taps, bias);
  const auto y_ref = causal_depthwise_conv_reference(x, taps, bias);
  ASSERT_EQ(y.sizes(), x.sizes());
  EXPECT_LE(conv_max_diff(y, y_ref), tol);
  std::vector<torch::Tensor> inputs = {x, taps};
  if (with_bias) {
    inputs.push_back(bias);
  }
  const auto weights = torch::randn_like(y);
  const auto grads = torch::autograd::grad({(y * weights).sum()}, inputs);
  const auto grads_ref = torch::autograd::grad({(y_ref * weights).sum()}, inputs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ(grads[i].sizes(), inputs[i].sizes()) << "input " << i;
    EXPECT_LE(conv_max_diff(grads[i], grads_ref[i]), tol * std::max<int64_t>(1, batch * len / 8))
        << "gradient of input " << i;
  }
  if (n_taps > len) {  // taps past L - 1 never reach an output
    EXPECT_EQ(grads[1].narrow(1, len, n_taps - len).abs().max().item<double>(), 0.0);
  }
}

class CausalDepthwiseConvTest : public ::testing::TestWithParam<DepthwiseCase> {};

TEST_P(CausalDepthwiseConvTest, MatchesTheReferenceInDouble) {
  torch::manual_seed(1);
  expect_matches_reference(GetParam(), torch::kDouble, 1e-11);
}

TEST_P(CausalDepthwiseConvTest, MatchesTheReferenceInFloat) {
  torch::manual_seed(2);
  expect_matches_reference(GetParam(), torch::kFloat, 2e-5);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CausalDepthwiseConvTest,
                         ::testing::Values(DepthwiseCase{3, 7, 5, 3, true},     // fewer channels than a block
                                           DepthwiseCase{2, 19, 37, 3, false},  // two blocks and a tail
                                           DepthwiseCase{4, 1, 16, 3, true},    // one position: only tap 0
                                           DepthwiseCase{2, 2, 17, 1, true},    // one tap
                                           DepthwiseCase{3, 23, 33, 23, false},  // a long filter, K = L
                                           DepthwiseCase{2, 13, 16, 17, true},   // more taps than positions
                                           DepthwiseCase{5, 65, 20, 65,
                                                         true}),  // a long filter past one 64-row block
                         [](const auto& info) {
                           const auto& p = info.param;
                           return "B" + std::to_string(std::get<0>(p)) + "L" +
                                  std::to_string(std::get<1>(p)) + "C" + std::to_string(std::get<2>(p)) +
                                  "K" + std::to_string(std::get<3>(p)) + (std::get<4>(p) ? "Bias" : "");
                         });

TEST(CausalDepthwiseConv, ReadsStridedInputsInPlace) {
  torch::manual_seed(3);
  // A chunk of a wider projection (Hyena's streams) and a transposed (B, C, L) tensor.
  auto wide = torch::randn({3, 11, 3 * 18}, torch::dtype(torch::kDouble)).requires_grad_(true);
  auto chunk = wide.chunk(3, 2)[1];  // (3, 11, 18), row stride 54
  auto taps = torch::randn({18, 4}, torch::dtype(torch::kDouble)).requires_grad_(true);
  auto bdl = torch::randn({3, 18, 11}, torch::dtype(torch::kDouble)).requires_grad_(true);
  for (const auto& x : {chunk, bdl.transpose(1, 2)}) {
    const auto y = causal_depthwise_conv(x, taps);
    const auto y_ref = causal_depthwise_conv_reference(x, taps);
    EXPECT_LE(conv_max_diff(y, y_ref), 1e-12);
    const auto g = torch::autograd::grad({y.pow(2).sum()}, {wide, bdl, taps}, {}, false, false, true);
    const auto g_ref = torch::autograd::grad({y_ref.pow(2).sum()}, {wide, bdl, taps}, {}, false, false, true);
    for (size_t i = 0; i < g.size(); ++i) {
      EXPECT_EQ(g[i].defined(), g_ref[i].defined());
      if (g[i].defined()) {
        EXPECT_LE(conv_max_diff(g[i], g_ref[i]), 1e-11) << i;
      }
    }
  }
}

TEST(CausalDepthwiseConv, IsThePaddedGroupedConv1dWithFlippedWeights) {
  torch::manual_seed(4);
  const int64_t batch = 2, len = 10, channels = 21, kernel = 3;
  const auto x = torch::randn({batch, len, channels});
  const auto weight = torch::randn({channels, 1, kernel});  // Conv1d's (C, 1, K), last tap at t
  const auto bias = torch::randn({channels});
  const auto conv1d = torch::conv1d(x.transpose(1, 2), weight, bias, 1, kernel - 1, 1, channels)
                          .narrow(2, 0, len)
                          .transpose(1, 2);  // (B, L, C)
  const auto y = causal_depthwise_conv(x, weight.squeeze(1).flip({1}), bias);
  EXPECT_LE(conv_max_diff(y, conv1d), 1e-5);
}

TEST(CausalDepthwiseConv, GivesOnlyTheGradientsAskedFor) {
  torch::manual_seed(5);
  const auto x = torch::randn({2, 6, 4}, torch::dtype(torch::kDouble));
  auto taps = torch::randn({4, 6}, torch::dtype(torch::kDouble)).requires_grad_(true);
  const auto y = causal_depthwise_conv(x, taps);
  const auto y_ref = causal_depthwise_conv_reference(x, taps);
  const auto g = torch::autograd::grad({y.sum()}, {taps})[0];
  EXPECT_LE(conv_max_diff(g, torch::autograd::grad({y_ref.sum()}, {taps})[0]), 1e-12);
}

TEST(CausalDepthwiseConv, IsCausal) {
  torch::manual_seed(6);
  const auto x = torch::randn({1, 12, 5});
  const auto taps = torch::randn({5, 12});
  auto changed = x.clone();
  changed.select(1, 8).add_(1.0);
  const auto diff = (causal_depthwise_conv(x, taps) - causal_depthwise_conv(changed, taps)).abs();
  EXPECT_EQ(diff.narrow(1, 0, 8).max().item<float>(), 0.0f);
  EXPECT_GT(diff.narrow(1, 8, 4).max().item<float>(), 0.0f);
}

// Long filters are summed eight rows (or lags) at a time, short sequences and the last rows one at a
// time; a row's terms are added in the same order either way, so the two give the same bits.
TEST(CausalDepthwiseConv, RowBlocksGiveTheBitsOfSingleRows) {
  torch::manual_seed(7);
  const int64_t len = 20, taps_n = 12;  // rows 0-15 in two blocks, 16-19 single; lags 0-7 a block
  const auto x = torch::randn({2, len, 37});
  const auto g = torch::randn({2, len, 37});
  auto taps = torch::randn({37, taps_n}).requires_grad_(true);
  const auto outputs_and_grads = [&](const torch::Tensor& input, const torch::Tensor& weights,
                                     const torch::Tensor& grad_out) {
    auto in = input.detach().clone().requires_grad_(true);
    const auto y = causal_depthwise_conv(in, weights);
    const auto grads = torch::autograd::grad({(y * grad_out).sum()}, {in, weights});
    return std::make_tuple(y.detach(), grads[0], grads[1]);
  };
  const auto [y, dx, dtaps] = outputs_and_grads(x, taps, g);
  // Forward: rows 0-6 of a 7-row sequence are single rows; rows 8-14 of a 15-row one too.
  for (const int64_t prefix : {7, 15}) {
    const auto [y_prefix, unused_dx, unused_dtaps] =
        outputs_and_grads(x.narrow(1, 0, prefix), taps, g.narrow(1, 0, prefix));
    EXPECT_TRUE(torch::equal(y.narrow(1, 0, prefix), y_prefix)) << "prefix " << prefix;
  }
  // Adjoint: the input gradient of rows 13-19 is that of the 7-row suffix alone, all single rows there.
  const auto [y_suffix, dx_suffix, unused] = outputs_and_grads(x.narrow(1, 13, 7), taps, g.narrow(1, 13, 7));
  EXPECT_TRUE(torch::equal(dx.narrow(1, 13, 7), dx_suffix));
  // Correlation: lags 0-6 of 7 taps are single lags; with 12 they are part of a block.
  auto few = taps.detach().narrow(1, 0, 7).clone().requires_grad_(true);
  const auto [y_few, dx_few, dtaps_few] = outputs_and_grads(x, few, g);
  EXPECT_TRUE(torch::equal(dtaps.narrow(1, 0, 7), dtaps_few));
}

TEST(CausalDepthwiseConv, RejectsBadShapes) {
  EXPECT_THROW(causal_depthwise_conv(torch::randn({2, 3}), torch::randn({3, 2})), c10::Error);
  EXPECT_THROW(causal_depthwise_conv(torch::randn({1, 4, 3}), torch::randn({2, 2})), c10::Error);
  EXPECT_THROW(causal_depthwise_conv(torch::randn({1, 4, 3}), torch::randn({3, 0})), c10::Error);
  EXPECT_THROW(causal_depthwise_conv(torch::randn({1, 4, 3}), torch::randn({3, 2}), torch::randn({2})),
               c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
