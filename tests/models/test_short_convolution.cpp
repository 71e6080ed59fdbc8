// The building blocks the flash-linear-attention mixers share: the short causal convolution against
// its definition written as a loop, and the (swish-gated) RMS norms against their formulas.

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/mixers/short_convolution.h"
#include "models/rms_norm.h"

namespace zoolab {
namespace {

TEST(CausalShortConv, IsTheCausalDepthwiseSumOfItsTaps) {
  torch::manual_seed(3);
  const int64_t batch = 2, len = 9, channels = 5, kernel = 4;
  CausalShortConv conv(CausalShortConvOptions(channels, kernel).bias(true).silu(false));
  EXPECT_EQ(conv->weight.sizes(), (std::vector<int64_t>{channels, 1, kernel}));
  const auto x = torch::randn({batch, len, channels});
  const auto y = conv->forward(x);
  const auto taps = conv->taps();  // (D, K) by lag
  auto expected = conv->bias.view({1, 1, channels}).expand({batch, len, channels}).clone();
  for (int64_t t = 0; t < len; ++t) {
    for (int64_t lag = 0; lag < kernel && lag <= t; ++lag) {
      expected.select(1, t) += x.select(1, t - lag) * taps.select(1, lag);
    }
  }
  EXPECT_TRUE(torch::allclose(y, expected, 1e-5, 1e-6)) << (y - expected).abs().max().item<double>();
}

TEST(CausalShortConv, AppliesSiluWhenAsked) {
  torch::manual_seed(4);
  CausalShortConv conv(CausalShortConvOptions(3, 2));
  EXPECT_FALSE(conv->bias.defined());
  const auto x = torch::randn({1, 5, 3});
  const auto linear =
      torch::conv1d(x.transpose(1, 2), conv->weight, {}, 1, 1, 1, 3).narrow(2, 0, 5).transpose(1, 2);
  EXPECT_TRUE(torch::allclose(conv->forward(x), torch::silu(linear)));
}

TEST(CausalShortConv, RefusesAnEmptyKernel) {
  EXPECT_THROW(CausalShortConv(CausalShortConvOptions(3, 0)), std::invalid_argument);
}

TEST(RMSNorm, SwishGatedNormMultipliesByTheGatesSilu) {
  torch::manual_seed(5);
  RMSNorm norm(6, 1e-5);
  SwishGatedRMSNorm gated(6, 1e-5);
  {
    torch::NoGradGuard no_grad;
    norm->weight.uniform_(0.5, 1.5);
    gated->weight.copy_(norm->weight);
  }
  const auto x = torch::randn({2, 3, 6}), gate = torch::randn({2, 3, 6});
  const auto expected = x / torch::sqrt(x.pow(2).mean(-1, true) + 1e-5) * norm->weight;
  EXPECT_TRUE(torch::allclose(norm->forward(x), expected, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(gated->forward(x, gate), expected * gate * torch::sigmoid(gate), 1e-5, 1e-6));
}

}  // namespace
}  // namespace zoolab
