// Counter-hash dropout (kernels/counter_dropout.h) against its plain-torch reference: forward and
// gradient, float32 and float64, odd sizes; statistics of the mask; reproducibility from the seed.

#include <cmath>
#include <vector>

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/counter_dropout.h"

namespace zoolab::kernels {
namespace {

TEST(CounterDropout, MatchesReferenceForwardAndGradient) {
  for (const auto dtype : {torch::kFloat, torch::kDouble}) {
    for (const double p : {0.0, 0.1, 0.5}) {
      torch::manual_seed(5);
      auto x = torch::randn({3, 17, 5}, torch::dtype(dtype)).requires_grad_(true);
      auto x_ref = x.detach().clone().requires_grad_(true);
      auto y = counter_dropout(x, p, 42);
      auto y_ref = counter_dropout_reference(x_ref, p, 42);
      EXPECT_TRUE(torch::allclose(y, y_ref, 1e-6, 1e-7)) << p;
      const auto weights = torch::randn_like(y_ref);
      (y * weights).sum().backward();
      (y_ref * weights).sum().backward();
      EXPECT_TRUE(torch::allclose(x.grad(), x_ref.grad(), 1e-6, 1e-7)) << p;
    }
  }
}

TEST(CounterDropout, ReadsNonContiguousInputsInLogicalOrder) {
  auto x = torch::randn({6, 11}).t();  // (11, 6), transposed strides
  EXPECT_TRUE(torch::allclose(counter_dropout(x, 0.3, 9), counter_dropout_reference(x, 0.3, 9)));
}

TEST(CounterDropout, EveryThreadsPartTakesItsOwnCounters) {
  // Larger than a parallel task (16k elements), on several threads: the parts start at counters other
  // than 0.
  torch::manual_seed(6);
  const auto x = torch::randn({5, 40000});
  const int threads = at::get_num_threads();
  at::set_num_threads(4);
  const auto y = counter_dropout(x, 0.2, 77);
  at::set_num_threads(threads);
  EXPECT_TRUE(torch::allclose(y, counter_dropout_reference(x, 0.2, 77)));
}

TEST(CounterDropout, ASpanStartsAtItsFirstCounter) {
  const auto x = torch::randn({300});
  const auto mask = counter_dropout_mask(88, {300}, 0.25);
  std::vector<float> out(200);
  dropout_span(x.data_ptr<float>() + 100, out.data(), 200, 88, 100, dropout_threshold(0.25), 1.0f / 0.75f);
  const auto expected = x.narrow(0, 100, 200) * mask.narrow(0, 100, 200) / 0.75;
  EXPECT_TRUE(torch::allclose(torch::from_blob(out.data(), {200}), expected));
}

TEST(CounterDropout, KeepsOneMinusPAndIsReproducible) {
  const double p = 0.1;
  const auto x = torch::ones({1 << 20});
  const auto y = counter_dropout(x, p, 1234);
  EXPECT_TRUE(torch::equal(y, counter_dropout(x, p, 1234)));
  EXPECT_FALSE(torch::equal(y, counter_dropout(x, p, 1235)));
  const double n = static_cast<double>(x.numel());
  const double kept = (y > 0).sum().item<double>() / n;
  EXPECT_NEAR(kept, 1.0 - p, 5.0 * std::sqrt(p * (1.0 - p) / n));
  EXPECT_NEAR(y.max().item<double>(), 1.0 / (1.0 - p), 1e-6);
  EXPECT_NEAR(y.mean().item<double>(), 1.0, 0.01);
}

TEST(CounterDropout, FastDropoutFollowsTorchsGenerator) {
  const auto x = torch::ones({4096});
  torch::manual_seed(7);
  const auto a = fast_dropout(x, 0.2, true);
  torch::manual_seed(7);
  EXPECT_TRUE(torch::equal(a, fast_dropout(x, 0.2, true)));
  EXPECT_FALSE(torch::equal(a, fast_dropout(x, 0.2, true)));  // the generator moved on
  EXPECT_TRUE(torch::equal(fast_dropout(x, 0.2, false), x));
  EXPECT_TRUE(torch::equal(fast_dropout(x, 0.0, true), x));
}

}  // namespace
}  // namespace zoolab::kernels
