// models/mixers/linear_rows.h against torch::nn::functional::linear: without gradients (the packed
// product where the CPU has AVX-512) and with them (where the CPU has AVX-512, the packed product and the
// backward's dual product; else addmm) and their gradients for the input, weight and bias, on 2-D, 3-D
// and transposed inputs, with and without a bias.

#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mixers/linear_rows.h"

namespace zoolab {
namespace {

TEST(LinearRowsTest, MatchesLinearWithAndWithoutGradients) {
  torch::manual_seed(4);
  const std::vector<torch::Tensor> inputs = {torch::randn({37, 64}), torch::randn({3, 50, 64}),
                                             torch::randn({64, 50, 3}).transpose(0, 2)};  // (3, 50, 64)
  for (const bool with_bias : {true, false}) {
    torch::nn::Linear layer(torch::nn::LinearOptions(64, 192).bias(with_bias));
    for (const auto& x : inputs) {
      const auto expected = torch::nn::functional::linear(x, layer->weight, layer->bias).detach();
      {
        torch::NoGradGuard no_grad;
        EXPECT_TRUE(torch::allclose(linear_rows(layer, x), expected, 1e-5, 1e-5)) << x.sizes();
      }
      auto xg = x.clone().requires_grad_(true);
      const auto y = linear_rows(layer, xg);
      EXPECT_TRUE(torch::allclose(y.detach(), expected, 1e-5, 1e-5)) << x.sizes();
      const auto dy = torch::randn_like(y);
      std::vector<torch::Tensor> wrt = {xg, layer->weight};
      auto xr = x.clone().requires_grad_(true);
      std::vector<torch::Tensor> wrt_reference = {xr, layer->weight};
      if (with_bias) {
        wrt.push_back(layer->bias);
        wrt_reference.push_back(layer->bias);
      }
      const auto grads = torch::autograd::grad({(y * dy).sum()}, wrt);
      const auto reference = torch::autograd::grad(
          {(torch::nn::functional::linear(xr, layer->weight, layer->bias) * dy).sum()}, wrt_reference);
      EXPECT_TRUE(torch::allclose(grads[0], reference[0], 1e-5, 1e-5)) << "input " << x.sizes();
      EXPECT_TRUE(torch::allclose(grads[1], reference[1], 1e-4, 1e-4)) << "weight " << x.sizes();
      if (with_bias) {
        EXPECT_TRUE(torch::allclose(grads[2], reference[2], 1e-4, 1e-4)) << "bias " << x.sizes();
      }
    }
  }
}

}  // namespace
}  // namespace zoolab
