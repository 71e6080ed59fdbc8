// The blocked linear cross-entropy against the plain-torch reference: loss and both gradients.

#include <cmath>

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

  auto reference = linear_cross_entropy_reference(h, weight, targets);
  auto grads_ref = torch::autograd::grad({reference * 1.7}, {h, weight});
  // Logits kept for the backward (the default here) and recomputed in it (no logits kept).
  for (const int64_t max_stored : {kMaxStoredLogits, int64_t{0}}) {
    auto loss = linear_cross_entropy(h, weight, targets, max_stored);
    EXPECT_NEAR(loss.item<double>(), reference.item<double>(), 1e-10) << max_stored;
    auto grads = torch::autograd::grad({loss * 1.7}, {h, weight});
    EXPECT_TRUE(torch::allclose(grads[0], grads_ref[0], 1e-9, 1e-11)) << max_stored;
    EXPECT_TRUE(torch::allclose(grads[1], grads_ref[1], 1e-9, 1e-11)) << max_stored;
  }
}

TEST(LinearCrossEntropy, MatchesTheReferenceInFloat32) {
  torch::manual_seed(11);
  auto h = torch::randn({301, 64}, torch::requires_grad());
  auto weight = (torch::randn({513, 64}) * 0.1).requires_grad_(true);
  auto targets = torch::randint(513, {301}, torch::kLong);
  auto reference = linear_cross_entropy_reference(h, weight, targets);
  auto grads_ref = torch::autograd::grad({reference}, {h, weight});
  for (const int64_t max_stored : {kMaxStoredLogits, int64_t{0}}) {
    auto loss = linear_cross_entropy(h, weight, targets, max_stored);
    EXPECT_NEAR(loss.item<double>(), reference.item<double>(), 1e-5) << max_stored;
    auto grads = torch::autograd::grad({loss}, {h, weight});
    EXPECT_TRUE(torch::allclose(grads[0], grads_ref[0], 1e-4, 1e-6)) << max_stored;
    EXPECT_TRUE(torch::allclose(grads[1], grads_ref[1], 1e-4, 1e-6)) << max_stored;
  }
}

// Confident rows, p(target) from 1 − 1e-2 to 1 − 1e-8: the gradient at the target is 1 − p, a small
// difference of large numbers. Float32 against a float64 reference: each row of grad h against its own
// size (5.6e-4 at worst for the recomputing path, 1.8e-4 for the stored one when written).
TEST(LinearCrossEntropy, StaysAccurateInFloat32WhenTheTargetIsAlmostCertain) {
  torch::manual_seed(12);
  const auto h64 = torch::randn({256, 64}, torch::kDouble);
  const auto weight64 = torch::randn({1000, 64}, torch::kDouble) * 0.05;
  auto logits = torch::mm(h64, weight64.t());       // (N, V)
  const auto targets = std::get<1>(logits.max(1));  // the predicted tokens
  // Scale each row so that its margin over the rest sets p(target) from about 1 − 1e-2 to 1 − 1e-8.
  const auto margins = torch::linspace(5.0, 20.0, 256, torch::kDouble);
  const auto spread = std::get<0>(logits.max(1)) - logits.logsumexp(1) + std::log(999.0);
  const auto h_scaled = h64 * (margins / spread.clamp_min(1e-3)).unsqueeze(1);
  auto h_ref = h_scaled.clone().requires_grad_(true), w_ref = weight64.clone().requires_grad_(true);
  const auto grads_ref =
      torch::autograd::grad({linear_cross_entropy_reference(h_ref, w_ref, targets)}, {h_ref, w_ref});
  for (const int64_t max_stored : {kMaxStoredLogits, int64_t{0}}) {
    auto h = h_scaled.to(torch::kFloat).requires_grad_(true),
         w = weight64.to(torch::kFloat).requires_grad_(true);
    const auto grads = torch::autograd::grad({linear_cross_entropy(h, w, targets, max_stored)}, {h, w});
    // Each row of grad h relative to its own size (the confident rows' are tiny), grad weight as a whole.
    const auto row_error = (grads[0].to(torch::kDouble) - grads_ref[0]).norm(2, 1) / grads_ref[0].norm(2, 1);
    EXPECT_LT(row_error.max().item<double>(), 1e-3) << "grad h, max_stored " << max_stored;
    const auto weight_error =
        (grads[1].to(torch::kDouble) - grads_ref[1]).abs().max() / grads_ref[1].abs().max();
    EXPECT_LT(weight_error.item<double>(), 1e-4) << "grad weight, max_stored " << max_stored;
  }
}

// Row counts below, at and across the block sizes (32 on the CPU, 128 elsewhere), odd vocabularies.
INSTANTIATE_TEST_SUITE_P(Sizes, LinearCrossEntropyTest,
                         ::testing::Values(std::make_tuple(1, 7), std::make_tuple(5, 64),
                                           std::make_tuple(32, 50), std::make_tuple(33, 19),
                                           std::make_tuple(97, 11), std::make_tuple(128, 33),
                                           std::make_tuple(129, 100), std::make_tuple(300, 257)));

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
