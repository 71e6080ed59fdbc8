// kernels/softmax_rows.h against ATen: max, argmax (first of ties), Σ exp(x − max) and the exps, for the
// AVX-512 loops (where the CPU has them) and the portable ones, on widths around the 16 lanes and
// MQAR's 8192, and on rows with NaN and infinities.

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "kernels/softmax_rows.h"

namespace zoolab::kernels {
namespace {

struct Results {
  torch::Tensor max, sum_exp, argmax, exps;
};

// Runs one path on a copy of `logits` (N, V), writing the exps.
Results run(const torch::Tensor& logits, bool vectorised) {
  const int64_t rows = logits.size(0), vocab = logits.size(1);
  Results r{torch::empty({rows}), torch::empty({rows}), torch::empty({rows}, torch::kLong), logits.clone()};
  const SoftmaxRowStats out{r.max.data_ptr<float>(), r.sum_exp.data_ptr<float>(),
                            r.argmax.data_ptr<int64_t>()};
  if (vectorised) {
    exp_rows_in_place(r.exps.data_ptr<float>(), rows, vocab, out);
  } else {
    detail::softmax_rows_portable(r.exps.data_ptr<float>(), rows, vocab, /*write_exps=*/true, out);
  }
  return r;
}

std::vector<bool> paths() {
  std::vector<bool> p{false};
  if (detail::softmax_rows_vectorised()) {
    p.push_back(true);
  }
  return p;
}

TEST(SoftmaxRowsTest, MatchesATenToRoundingOnEveryWidth) {
  torch::manual_seed(3);
  for (const bool vectorised : paths()) {
    for (const int64_t vocab : {1, 15, 16, 17, 37, 8192, 8195}) {
      // × 30: exps from 1 down through the subnormals to 0.
      for (const double scale : {1.0, 4.0, 30.0}) {
        auto logits = torch::randn({9, vocab}) * scale;  // (N, V)
        if (vocab > 6) {
          logits.select(1, vocab - 1).copy_(std::get<0>(logits.max(1)));  // ties: the first maximum counts
        }
        const std::string what = std::string(vectorised ? "avx512" : "portable") +
                                 " V=" + std::to_string(vocab) + " scale=" + std::to_string(scale);
        const auto r = run(logits, vectorised);
        const auto max = logits.amax(1);  // (N,)
        const auto exps = (logits - max.unsqueeze(1)).exp();
        EXPECT_TRUE(torch::equal(r.max, max)) << what;
        EXPECT_TRUE(torch::equal(r.argmax, logits.argmax(1))) << what;
        // 2 ulp an exp (Cephes' expf); the sums add 16 lanes in another order than ATen's.
        EXPECT_TRUE(torch::allclose(r.exps, exps, 2.5e-7, 1e-44)) << what;
        EXPECT_TRUE(torch::allclose(r.sum_exp, exps.sum(1), 1e-6, 0)) << what;
        // The statistics alone are the same numbers, and leave the rows alone.
        auto kept = logits.clone();
        auto max2 = torch::empty_like(r.max), sum2 = torch::empty_like(r.sum_exp);
        const SoftmaxRowStats no_argmax{max2.data_ptr<float>(), sum2.data_ptr<float>(), nullptr};
        if (vectorised) {
          softmax_row_stats(kept.data_ptr<float>(), kept.size(0), vocab, no_argmax);
        } else {
          detail::softmax_rows_portable(kept.data_ptr<float>(), kept.size(0), vocab, false, no_argmax);
        }
        EXPECT_TRUE(torch::equal(kept, logits)) << what;
        EXPECT_TRUE(torch::equal(max2, r.max)) << what;
        EXPECT_TRUE(torch::equal(sum2, r.sum_exp)) << what;
      }
    }
  }
}

TEST(SoftmaxRowsTest, NonFiniteRowsFollowATen) {
  const float inf = std::numeric_limits<float>::infinity();
  for (const bool vectorised : paths()) {
    const std::string what = vectorised ? "avx512" : "portable";
    auto logits = torch::randn({5, 40});  // (N, V)
    logits[0][7] = NAN;                   // NaN: argmax the first NaN, NaN everywhere
    logits[0][30] = NAN;
    logits[1][33] = inf;                     // +inf maximum: exp(inf − inf) is NaN
    logits[2].fill_(-inf);                   // all −inf: −inf − (−inf) is NaN
    logits[3].narrow(0, 0, 20).fill_(-inf);  // −inf elements of a finite row: exp gives 0
    logits[4][39] = 1e30f;                   // one huge logit: the others underflow to 0
    const auto r = run(logits, vectorised);
    const auto max = logits.amax(1);
    const auto exps = (logits - max.unsqueeze(1)).exp();
    EXPECT_TRUE(std::isnan(r.max[0].item<float>())) << what;
    EXPECT_EQ(r.argmax[0].item<int64_t>(), 7) << what;
    EXPECT_EQ(r.argmax[1].item<int64_t>(), 33) << what;
    EXPECT_EQ(r.argmax[2].item<int64_t>(), 0) << what;
    EXPECT_EQ(r.argmax[4].item<int64_t>(), 39) << what;
    EXPECT_TRUE(torch::equal(r.argmax.narrow(0, 1, 4), logits.narrow(0, 1, 4).argmax(1))) << what;
    EXPECT_TRUE(torch::allclose(r.exps, exps, 2.5e-7, 1e-44, /*equal_nan=*/true)) << what;
    EXPECT_TRUE(torch::allclose(r.sum_exp, exps.sum(1), 1e-6, 0, /*equal_nan=*/true)) << what;
    EXPECT_EQ(r.exps[3].narrow(0, 0, 20).count_nonzero().item<int64_t>(), 0) << what;
    EXPECT_EQ(r.sum_exp[4].item<float>(), 1.0f) << what;
  }
}

TEST(SoftmaxRowsTest, SoftmaxInPlaceIsTorchsSoftmaxOnEveryPrefixLength) {
  torch::manual_seed(8);
  for (const int64_t n : {1, 2, 15, 16, 17, 64, 100}) {
    const auto scores = torch::randn({n}, torch::kDouble) * 5;
    auto as_float = scores.to(torch::kFloat).contiguous();
    auto as_double = scores.clone();
    softmax_in_place(as_float.data_ptr<float>(), n);
    softmax_in_place(as_double.data_ptr<double>(), n);
    const auto expected = torch::softmax(scores, 0);
    EXPECT_LE((as_float.to(torch::kDouble) - expected).abs().max().item<double>(), 1e-6) << n;
    EXPECT_LE((as_double - expected).abs().max().item<double>(), 1e-14) << n;
  }
}

}  // namespace
}  // namespace zoolab::kernels
