// The fused layer norm against torch::layer_norm: values and the gradients of x, weight and bias, float64
// and float32, widths around the 16-value lanes, one row to many (several threads' parts), strided and
// (B, L, D) inputs; a row's output whatever rows it is computed with; and the reference for what the
// loops do not take.

#include <tuple>
#include <vector>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/layer_norm_rows.h"

namespace zoolab::kernels {
namespace {

double norm_max_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

// (rows, D)
using NormShape = std::tuple<int64_t, int64_t>;

class LayerNormRowsTest : public ::testing::TestWithParam<std::tuple<NormShape, torch::Dtype>> {};

TEST_P(LayerNormRowsTest, ValuesAndGradientsMatchTorch) {
  const auto [shape, dtype] = GetParam();
  const auto [rows, width] = shape;
  torch::manual_seed(rows * 13 + width);
  const auto opts = torch::dtype(dtype);
  // An offset mean and a spread per row: the variance is taken around the mean.
  auto x = (torch::randn({rows, width}, opts) * 3 + 5).requires_grad_(true);
  auto weight = torch::randn({width}, opts).requires_grad_(true);
  auto bias = torch::randn({width}, opts).requires_grad_(true);
  const auto y = layer_norm_rows(x, weight, bias, 1e-5);
  const auto y_ref = layer_norm_rows_reference(x, weight, bias, 1e-5);
  const double tol = dtype == torch::kDouble ? 1e-12 : 2e-5;
  ASSERT_EQ(y.sizes(), y_ref.sizes());
  EXPECT_LE(norm_max_diff(y, y_ref), tol);
  const auto dy = torch::randn_like(y);
  const auto grads = torch::autograd::grad({(y * dy).sum()}, {x, weight, bias});
  const auto grads_ref = torch::autograd::grad({(y_ref * dy).sum()}, {x, weight, bias});
  const char* names[] = {"x", "weight", "bias"};
  for (size_t i = 0; i < grads.size(); ++i) {
    // weight and bias sum over the rows.
    const double grad_tol = i == 0 ? 5 * tol : tol * static_cast<double>(rows);
    EXPECT_LE(norm_max_diff(grads[i], grads_ref[i]), grad_tol) << "gradient of " << names[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayerNormRowsTest,
                         ::testing::Combine(::testing::Values(NormShape{1, 64},     // one row
                                                              NormShape{5, 7},      // under a lane block
                                                              NormShape{9, 37},     // blocks and a tail
                                                              NormShape{3000, 64},  // several parts
                                                              NormShape{17, 128}),
                                            ::testing::Values(torch::kFloat, torch::kDouble)));

TEST(LayerNormRows, BatchedAndStridedInputsMatchTorch) {
  torch::manual_seed(2);
  const auto x = torch::randn({4, 9, 48});  // (B, L, D)
  const auto weight = torch::randn({48}), bias = torch::randn({48});
  EXPECT_LE(
      norm_max_diff(layer_norm_rows(x, weight, bias, 1e-5), layer_norm_rows_reference(x, weight, bias, 1e-5)),
      2e-5);
  const auto strided = torch::randn({48, 30}).t();  // (30, 48), rows not contiguous
  EXPECT_LE(norm_max_diff(layer_norm_rows(strided, weight, bias, 1e-6),
                          layer_norm_rows_reference(strided, weight, bias, 1e-6)),
            2e-5);
}

TEST(LayerNormRows, ARowsOutputDoesNotDependOnTheOtherRows) {
  torch::manual_seed(3);
  const auto x = torch::randn({700, 64});
  const auto weight = torch::randn({64}), bias = torch::randn({64});
  const auto whole = layer_norm_rows(x, weight, bias, 1e-5);
  const auto part = layer_norm_rows(x.narrow(0, 301, 5), weight, bias, 1e-5);
  EXPECT_TRUE(torch::equal(part, whole.narrow(0, 301, 5)));
}

TEST(LayerNormRows, GradientsAreTheSameBitsRunToRun) {
  torch::manual_seed(4);
  auto x = torch::randn({2500, 64}).requires_grad_(true);
  auto weight = torch::randn({64}).requires_grad_(true);
  auto bias = torch::randn({64}).requires_grad_(true);
  const auto dy = torch::randn({2500, 64});
  const auto first =
      torch::autograd::grad({(layer_norm_rows(x, weight, bias, 1e-5) * dy).sum()}, {x, weight, bias});
  const auto second =
      torch::autograd::grad({(layer_norm_rows(x, weight, bias, 1e-5) * dy).sum()}, {x, weight, bias});
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_TRUE(torch::equal(first[i], second[i])) << "gradient " << i;
  }
}

TEST(LayerNormRows, WithoutAffineParametersItIsTorchs) {
  const auto x = torch::randn({6, 10});
  EXPECT_TRUE(torch::equal(layer_norm_rows(x, torch::Tensor(), torch::Tensor(), 1e-5),
                           torch::layer_norm(x, {10}, {}, {}, 1e-5)));
}

TEST(LayerNormRows, RefusesAWeightOfAnotherWidth) {
  EXPECT_THROW(layer_norm_rows(torch::randn({3, 8}), torch::ones({7}), torch::zeros({8}), 1e-5), c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
