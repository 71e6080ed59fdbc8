// The fused gated convolutions (BaseConv's g ⊙ conv(u) + u, Hyena's x2 ⊙ conv(x1 ⊙ v)) against
// their plain-torch references: values and the gradients of every input, float64 and float32,
// channel counts around the 16-channel block, short and long filters, strided inputs.

#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/gated_causal_conv.h"

namespace zoolab::kernels {
namespace {

double gated_max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// y and y_ref and the gradients of a random projection of both with respect to `inputs`.
void expect_same_as_reference(const torch::Tensor& y, const torch::Tensor& y_ref,
                              const std::vector<torch::Tensor>& inputs, double tol, double grad_tol) {
  ASSERT_EQ(y.sizes(), y_ref.sizes());
  EXPECT_LE(gated_max_diff(y, y_ref), tol);
  const auto weights = torch::randn_like(y);
  const auto grads = torch::autograd::grad({(y * weights).sum()}, inputs);
  const auto grads_ref = torch::autograd::grad({(y_ref * weights).sum()}, inputs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    ASSERT_EQ(grads[i].sizes(), inputs[i].sizes()) << "input " << i;
    EXPECT_LE(gated_max_diff(grads[i], grads_ref[i]), grad_tol) << "gradient of input " << i;
  }
}

// (B, L, C, K, bias and residual)
using GatedConvCase = std::tuple<int64_t, int64_t, int64_t, int64_t, bool>;

class GatedCausalConvTest : public ::testing::TestWithParam<std::tuple<GatedConvCase, torch::Dtype>> {};

TEST_P(GatedCausalConvTest, BaseConvFormMatchesTheReference) {
  const auto [shape, dtype] = GetParam();
  const auto [batch, len, channels, n_taps, flags] = shape;
  const bool is_double = dtype == torch::kDouble;
  torch::manual_seed(len * 7 + channels);
  const auto opts = torch::dtype(dtype);
  auto u = torch::randn({batch, len, channels}, opts).requires_grad_(true);
  auto g = torch::randn({batch, len, channels}, opts).requires_grad_(true);
  auto taps = torch::randn({channels, n_taps}, opts).requires_grad_(true);
  auto bias = flags ? torch::randn({channels}, opts).requires_grad_(true) : torch::Tensor();
  std::vector<torch::Tensor> inputs = {u, g, taps};
  if (flags) {
    inputs.push_back(bias);
  }
  const double tol = is_double ? 1e-11 : 3e-5;
  expect_same_as_reference(gated_causal_conv(u, g, taps, bias, flags),
                           gated_causal_conv_reference(u, g, taps, bias, flags), inputs, tol,
                           tol * batch * len);
}

TEST_P(GatedCausalConvTest, HyenaFormMatchesTheReference) {
  const auto [shape, dtype] = GetParam();
  const auto [batch, len, channels, n_taps, flags] = shape;
  const bool is_double = dtype == torch::kDouble;
  torch::manual_seed(len * 11 + channels);
  const auto opts = torch::dtype(dtype);
  auto x = torch::randn({batch, len, 3 * channels}, opts).requires_grad_(true);
  // Hyena's 3-tap short filter, and a 9-tap one that takes the row blocks.
  const int64_t n_short = flags ? 3 : 9;
  auto short_taps = torch::randn({3 * channels, n_short}, opts).requires_grad_(true);
  auto short_bias = torch::randn({3 * channels}, opts).requires_grad_(true);
  auto taps = torch::randn({channels, n_taps}, opts).requires_grad_(true);
  const double tol = is_double ? 1e-11 : 1e-4;
  expect_same_as_reference(hyena_gated_conv(x, short_taps, short_bias, taps),
                           hyena_gated_conv_reference(x, short_taps, short_bias, taps),
                           {x, short_taps, short_bias, taps}, tol, tol * batch * len);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GatedCausalConvTest,
    ::testing::Combine(::testing::Values(GatedConvCase{3, 7, 5, 3, true},     // under a block
                                         GatedConvCase{2, 19, 37, 3, false},  // blocks and a tail
                                         GatedConvCase{2, 1, 16, 3, true},    // one position
                                         GatedConvCase{3, 23, 33, 23, true},  // long, K = L
                                         GatedConvCase{2, 13, 16, 17, false}  // K > L
                                         ),
                       ::testing::Values(torch::kDouble, torch::kFloat)),
    [](const auto& info) {
      const auto& p = std::get<0>(info.param);
      return "B" + std::to_string(std::get<0>(p)) + "L" + std::to_string(std::get<1>(p)) + "C" +
             std::to_string(std::get<2>(p)) + "K" + std::to_string(std::get<3>(p)) +
             (std::get<4>(p) ? "Bias" : "") +
             (std::get<1>(info.param) == torch::kDouble ? "Double" : "Float");
    });

TEST(GatedCausalConv, ReadsStridedInputs) {
  torch::manual_seed(8);
  const auto opts = torch::dtype(torch::kDouble);
  // u and g as views into wider tensors, x as a slice of a wider projection.
  auto wide = torch::randn({2, 9, 40}, opts).requires_grad_(true);
  auto u = wide.narrow(2, 0, 20), g = wide.narrow(2, 20, 20);
  auto taps = torch::randn({20, 9}, opts).requires_grad_(true);
  auto bias = torch::randn({20}, opts).requires_grad_(true);
  expect_same_as_reference(gated_causal_conv(u, g, taps, bias, true),
                           gated_causal_conv_reference(u, g, taps, bias, true), {wide, taps, bias}, 1e-11,
                           1e-10);
  auto wider = torch::randn({2, 9, 50}, opts).requires_grad_(true);
  auto x = wider.narrow(2, 5, 45);  // (2, 9, 3·15), row stride 50
  auto short_taps = torch::randn({45, 3}, opts).requires_grad_(true);
  auto short_bias = torch::randn({45}, opts).requires_grad_(true);
  auto taps_x = torch::randn({15, 4}, opts).requires_grad_(true);
  expect_same_as_reference(hyena_gated_conv(x, short_taps, short_bias, taps_x),
                           hyena_gated_conv_reference(x, short_taps, short_bias, taps_x),
                           {wider, short_taps, short_bias, taps_x}, 1e-11, 1e-10);
}

// Without gradients the convolution c stays in each task's scratch instead of a (B, L, C) tensor kept for
// the backward; the values are the same bits.
TEST(GatedCausalConv, HyenaWithoutGradientsGivesTheSameBits) {
  torch::manual_seed(9);
  const auto x = torch::randn({5, 19, 3 * 21});
  const auto short_taps = torch::randn({3 * 21, 3}).requires_grad_(true);
  const auto short_bias = torch::randn({3 * 21}).requires_grad_(true);
  const auto taps = torch::randn({21, 19}).requires_grad_(true);
  const auto with_grad = hyena_gated_conv(x, short_taps, short_bias, taps);
  ASSERT_TRUE(with_grad.requires_grad());
  torch::NoGradGuard no_grad;
  const auto without = hyena_gated_conv(x, short_taps, short_bias, taps);
  EXPECT_FALSE(without.requires_grad());
  EXPECT_TRUE(torch::equal(with_grad.detach(), without));
}

TEST(GatedCausalConv, RejectsBadShapes) {
  EXPECT_THROW(
      gated_causal_conv(torch::randn({1, 4, 3}), torch::randn({1, 4, 2}), torch::randn({3, 2}), {}, true),
      c10::Error);
  EXPECT_THROW(hyena_gated_conv(torch::randn({1, 4, 8}), torch::randn({8, 3}), torch::randn({8}),
                                torch::randn({3, 2})),
               c10::Error);  // 8 channels are not three streams of 3
  EXPECT_THROW(hyena_gated_conv(torch::randn({1, 4, 9}), torch::randn({8, 3}), torch::randn({9}),
                                torch::randn({3, 2})),
               c10::Error);  // short taps for 8 channels
  EXPECT_THROW(hyena_gated_conv(torch::randn({1, 4, 9}), torch::randn({9, 3}), torch::randn({3}),
                                torch::randn({3, 2})),
               c10::Error);  // a short bias for 3
}

}  // namespace
}  // namespace zoolab::kernels
