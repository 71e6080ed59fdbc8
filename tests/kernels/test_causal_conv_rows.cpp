// The causal convolution read at a few rows (kernels/causal_conv_rows.h) against the whole convolution's
// rows (its plain-torch reference): output and the gradients of x and
// the taps, float32 and float64, taps shorter than, as long as and longer than the sequence.

#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/causal_conv_rows.h"

namespace zoolab::kernels {
namespace {

struct ConvRowsCase {
  int64_t batch, seq_len, channels, taps;
  std::vector<int64_t> positions;
};

TEST(CausalConvRows, MatchesTheWholeConvolutionAtItsRows) {
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    const double tolerance = dtype == torch::kDouble ? 1e-12 : 1e-5;
    for (const ConvRowsCase& c :
         {ConvRowsCase{3, 16, 20, 3, {0, 5, 15, 16, 17, 40, 47}},
          ConvRowsCase{2, 24, 64, 24, {10, 23, 24 + 1, 24 + 22}}, ConvRowsCase{2, 9, 7, 30, {8, 9}},
          ConvRowsCase{1, 5, 3, 1, {0, 1, 2, 3, 4}}}) {
      const std::string label = "L " + std::to_string(c.seq_len) + " C " + std::to_string(c.channels) +
                                " K " + std::to_string(c.taps);
      torch::manual_seed(c.seq_len);
      const auto positions = torch::tensor(c.positions, torch::kLong);
      auto x = torch::randn({c.batch, c.seq_len, c.channels}, torch::dtype(dtype)).requires_grad_(true);
      auto taps = torch::randn({c.channels, c.taps}, torch::dtype(dtype)).requires_grad_(true);
      auto x_ref = x.detach().clone().requires_grad_(true);
      auto taps_ref = taps.detach().clone().requires_grad_(true);
      const auto rows = causal_conv_rows(x, taps, positions);                        // (N, C)
      const auto expected = causal_conv_rows_reference(x_ref, taps_ref, positions);  // (N, C)
      ASSERT_EQ(rows.sizes(), expected.sizes()) << label;
      EXPECT_LT((rows - expected).abs().max().item<double>(), tolerance) << "forward " << label;
      const auto weights = torch::randn_like(expected);
      (rows * weights).sum().backward();
      (expected * weights).sum().backward();
      EXPECT_LT((x.grad() - x_ref.grad()).abs().max().item<double>(), tolerance) << "dx " << label;
      EXPECT_LT((taps.grad() - taps_ref.grad()).abs().max().item<double>(), 10 * tolerance)
          << "dtaps " << label;
    }
  }
}

TEST(CausalConvRows, RefusesPositionsThatDoNotIncreaseOrFit) {
  const auto x = torch::zeros({2, 3, 4});
  const auto taps = torch::zeros({4, 2});
  const auto call = [&](std::vector<int64_t> positions) {
    return causal_conv_rows(x, taps, torch::tensor(positions, torch::kLong));
  };
  EXPECT_NO_THROW(call({0, 5}));
  EXPECT_THROW(call({3, 2}), c10::Error);
  EXPECT_THROW(call({1, 1}), c10::Error);
  EXPECT_THROW(call({6}), c10::Error);
  EXPECT_THROW(causal_conv_rows(x, torch::zeros({3, 2}), torch::tensor({0})), c10::Error);  // C differs
}

}  // namespace
}  // namespace zoolab::kernels
