// The FFT long convolution against its direct-sum reference, values and gradients.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/fft_conv.h"

namespace zoolab::kernels {
namespace {

class FftConv : public ::testing::TestWithParam<int64_t> {};

TEST_P(FftConv, MatchesTheDirectSumForwardAndBackward) {
  const int64_t seq_len = GetParam();
  torch::manual_seed(seq_len);
  auto u = torch::randn({3, 5, seq_len}, torch::dtype(torch::kDouble).requires_grad(true));
  auto k = torch::randn({5, seq_len + 3}, torch::dtype(torch::kDouble).requires_grad(true));
  auto y = causal_fft_conv(u, k);
  auto y_ref = causal_conv_reference(u, k);
  ASSERT_EQ(y.sizes(), u.sizes());
  EXPECT_TRUE(torch::allclose(y, y_ref, 1e-9, 1e-9));

  auto weights = torch::randn_like(y);
  auto grads = torch::autograd::grad({(y * weights).sum()}, {u, k});
  auto grads_ref = torch::autograd::grad({(y_ref * weights).sum()}, {u, k});
  EXPECT_TRUE(torch::allclose(grads[0], grads_ref[0], 1e-9, 1e-9));
  EXPECT_TRUE(torch::allclose(grads[1], grads_ref[1], 1e-9, 1e-9));
}

INSTANTIATE_TEST_SUITE_P(Lengths, FftConv, ::testing::Values(1, 2, 7, 16, 33, 64));

TEST(FftConvTest, IsCausal) {
  auto u = torch::randn({1, 2, 20});
  auto k = torch::randn({2, 20});
  auto changed = u.clone();
  changed.index_put_({0, 0, 12}, 100.0);
  auto y = causal_fft_conv(u, k), y2 = causal_fft_conv(changed, k);
  EXPECT_TRUE(torch::allclose(y.narrow(2, 0, 12), y2.narrow(2, 0, 12), 1e-4, 1e-4));
  EXPECT_FALSE(torch::allclose(y.narrow(2, 12, 8), y2.narrow(2, 12, 8)));
}

TEST(FftConvTest, RejectsAShortFilter) {
  EXPECT_THROW(causal_fft_conv(torch::randn({1, 2, 10}), torch::randn({2, 9})), c10::Error);
}

}  // namespace
}  // namespace zoolab::kernels
