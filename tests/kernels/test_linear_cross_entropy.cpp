// The blocked linear cross-entropy against the plain-torch reference: loss and both gradients.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/linear_cross_entropy.h"

namespace zoolab::kernels {
namespace {

class LinearCrossEntropyTest : public ::testing::TestWithParam<std::tuple<int64_t, int64_t>> {};

TEST_P(LinearCrossEntropyTest, MatchesTheReference) {
  const auto [rows, vocab] = GetParam();
  torch::manual_seed(rows * 31 + vocab);
  const auto options = torch::dtype(torch::kDouble).requires_grad(true);
  auto h = torch::randn({rows, 24}, options);
  auto weight = torch::randn({vocab, 24}, options);
  auto targets = torch::randint(vocab, {rows}, torch::kLong);

  auto loss = linear_cross_entropy(h, weight, targets);
  auto reference = linear_cross_entropy_reference(h, weight, targets);
  EXPECT_NEAR(loss.item<double>(), reference.item<double>(), 1e-10);

  auto grads = torch::autograd::grad({loss * 1.7}, {h, weight});
  auto grads_ref = torch::autograd::grad({reference * 1.7}, {h, weight});
  EXPECT_TRUE(torch::allclose(grads[0], grads_ref[0], 1e-9, 1e-11));
  EXPECT_TRUE(torch::allclose(grads[1], grads_ref[1], 1e-9, 1e-11));
}

// Row counts below, at and across the block size (128), odd vocabularies.
INSTANTIATE_TEST_SUITE_P(Sizes, LinearCrossEntropyTest,
                         ::testing::Values(std::make_tuple(1, 7), std::make_tuple(5, 64),
                                           std::make_tuple(128, 33), std::make_tuple(129, 100),
                                           std::make_tuple(300, 257)));

TEST(LinearCrossEntropy, RejectsMismatchedShapes) {
  EXPECT_THROW(
      linear_cross_entropy(torch::randn({4, 8}), torch::randn({10, 9}), torch::zeros({4}, torch::kLong)),
      c10::Error);
  EXPECT_THROW(
      linear_cross_entropy(torch::randn({4, 8}), torch::randn({10, 8}), torch::zeros({3}, torch::kLong)),
      c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
