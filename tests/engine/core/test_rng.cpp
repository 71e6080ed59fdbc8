// Tests for engine/data/rng.h: published test vectors, then statistical properties of the samplers.

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "engine/data/rng.h"

namespace zoolab {
namespace {

TEST(Rng, SplitMix64MatchesPublishedVectors) {
  // Seed 1234567: the first five outputs of Vigna's reference splitmix64.c, the vector that the
  // test suites of several xoshiro ports check.
  uint64_t state = 1234567;
  const uint64_t expected[] = {6457827717110365317ULL, 3203168211198807973ULL, 9817491932198370423ULL,
                               4593380528125082431ULL, 16408922859458223821ULL};
  for (uint64_t e : expected)
    EXPECT_EQ(splitmix64_next(state), e);
  // Seed 0: first output 0xe220a8397b1dcdaf.
  uint64_t zero = 0;
  EXPECT_EQ(splitmix64_next(zero), 0xe220a8397b1dcdafULL);
}

TEST(Rng, Xoshiro256StarStarMatchesReferenceImplementation) {
  // State {1, 2, 3, 4}: the ten values that rust-random's rand_xoshiro test `reference` took from
  // the authors' xoshiro256starstar.c.
  Rng rng = Rng::from_state({1, 2, 3, 4});
  const uint64_t expected[] = {11520ULL,
                               0ULL,
                               1509978240ULL,
                               1215971899390074240ULL,
                               1216172134540287360ULL,
                               607988272756665600ULL,
                               16172922978634559625ULL,
                               8476171486693032832ULL,
                               10595114339597558777ULL,
                               2904607092377533576ULL};
  for (uint64_t e : expected)
    EXPECT_EQ(rng.next_u64(), e);
}

TEST(Rng, SeedingUsesFourSplitMixOutputs) {
  uint64_t sm = 42;
  std::array<uint64_t, 4> state;
  for (auto& w : state)
    w = splitmix64_next(sm);
  EXPECT_EQ(Rng(42).state(), state);
  EXPECT_THROW(Rng::from_state({0, 0, 0, 0}), std::invalid_argument);
}

TEST(Rng, SameSeedSameStreamDifferentSeedDifferentStream) {
  Rng a(7), b(7), c(8);
  int differ = 0;
  for (int i = 0; i < 100; ++i) {
    const uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    differ += x != c.next_u64();
  }
  EXPECT_GT(differ, 95);
}

TEST(Rng, UniformIntIsInRangeAndPassesChiSquare) {
  Rng rng(2024);
  constexpr uint64_t kBins = 10;
  constexpr int kDraws = 100000;
  std::vector<int> counts(kBins, 0);
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t x = rng.uniform_int(kBins);
    ASSERT_LT(x, kBins);
    ++counts[x];
  }
  const double expected = static_cast<double>(kDraws) / kBins;
  double chi2 = 0;
  for (int c : counts)
    chi2 += (c - expected) * (c - expected) / expected;
  // 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
  EXPECT_LT(chi2, 27.9);
  EXPECT_EQ(rng.uniform_int(1), 0u);
  EXPECT_THROW(rng.uniform_int(0), std::invalid_argument);
}

TEST(Rng, UniformIntHasNoModuloBiasForHugeRanges) {
  // n = 3·2^62: a plain `next_u64() % n` would put half the draws in [0, 2^62) (raw values in
  // [n, 2^64) wrap onto it); the unbiased draw puts a third there.
  Rng rng(5);
  const uint64_t n = uint64_t{3} << 62;
  int low = 0;
  constexpr int kDraws = 20000;
  for (int i = 0; i < kDraws; ++i) {
    const uint64_t x = rng.uniform_int(n);
    ASSERT_LT(x, n);
    low += x < (uint64_t{1} << 62);
  }
  // Standard error sqrt(2/9 / 2e4) ~ 0.0033.
  EXPECT_NEAR(low / double(kDraws), 1.0 / 3.0, 0.02);
}

TEST(Rng, UniformDoubleIsInUnitIntervalWithMeanOneHalf) {
  Rng rng(99);
  double sum = 0;
  constexpr int kDraws = 100000;
  for (int i = 0; i < kDraws; ++i) {
    const double u = rng.uniform_double();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    // A multiple of 2^-53.
    ASSERT_EQ(std::ldexp(u, 53), std::floor(std::ldexp(u, 53)));
    sum += u;
  }
  // Standard error of the mean: sqrt(1/12 / 1e5) ~ 0.0009.
  EXPECT_NEAR(sum / kDraws, 0.5, 0.005);
}

TEST(Rng, SampleWithoutReplacementIsDistinctAndUniform) {
  Rng rng(11);
  constexpr int64_t kPool = 6;
  std::vector<int> first(kPool, 0);
  for (int t = 0; t < 30000; ++t) {
    const auto s = rng.sample_without_replacement(kPool, 3);
    ASSERT_EQ(s.size(), 3u);
    const std::set<int64_t> distinct(s.begin(), s.end());
    ASSERT_EQ(distinct.size(), 3u);
    for (int64_t x : s) {
      ASSERT_GE(x, 0);
      ASSERT_LT(x, kPool);
    }
    ++first[s[0]];
  }
  for (int c : first)
    EXPECT_NEAR(c / 30000.0, 1.0 / kPool, 0.015);
  // k == pool: a permutation.
  auto all = rng.sample_without_replacement(50, 50);
  std::sort(all.begin(), all.end());
  for (int64_t i = 0; i < 50; ++i)
    EXPECT_EQ(all[i], i);
  EXPECT_TRUE(rng.sample_without_replacement(10, 0).empty());
  EXPECT_THROW(rng.sample_without_replacement(3, 4), std::invalid_argument);
}

TEST(Rng, SparseFisherYatesEqualsDenseFisherYates) {
  // The documented algorithm: swap position i with a uniform position in [i, n), on the identity.
  Rng a(31), b(31);
  for (int t = 0; t < 200; ++t) {
    const int64_t n = 1 + t % 40, k = t % (n + 1);
    std::vector<int64_t> dense(n);
    for (int64_t i = 0; i < n; ++i)
      dense[i] = i;
    for (int64_t i = 0; i < k; ++i)
      std::swap(dense[i], dense[i + static_cast<int64_t>(b.uniform_int(n - i))]);
    dense.resize(k);
    ASSERT_EQ(a.sample_without_replacement(n, k), dense) << "n=" << n << " k=" << k;
  }
}

TEST(Rng, WeightedSamplingFollowsTheWeights) {
  Rng rng(3);
  const std::vector<double> w = {1.0, 2.0, 0.0, 4.0, 1.0};
  std::vector<int> first(w.size(), 0);
  constexpr int kTrials = 40000;
  for (int t = 0; t < kTrials; ++t) {
    const auto s = rng.weighted_sample_without_replacement(w, 2);
    ASSERT_EQ(s.size(), 2u);
    ASSERT_NE(s[0], s[1]);
    ASSERT_NE(s[0], 2);  // zero weight is never drawn
    ASSERT_NE(s[1], 2);
    ++first[s[0]];
  }
  for (size_t i = 0; i < w.size(); ++i)
    EXPECT_NEAR(first[i] / double(kTrials), w[i] / 8.0, 0.01) << i;
}

TEST(Rng, WeightedSecondDrawIsRenormalisedWithoutTheFirst) {
  // P(second = 1 | first = 0) = w1 / (w1 + w2) = 0.25 under numpy's sequential semantics.
  Rng rng(17);
  const std::vector<double> w = {6.0, 1.0, 3.0};
  int first0 = 0, second1 = 0;
  for (int t = 0; t < 60000; ++t) {
    const auto s = rng.weighted_sample_without_replacement(w, 2);
    if (s[0] == 0) {
      ++first0;
      second1 += s[1] == 1;
    }
  }
  ASSERT_GT(first0, 30000);
  EXPECT_NEAR(second1 / double(first0), 0.25, 0.015);
}

TEST(Rng, WeightedSamplingDrawsEveryPositiveWeightWhenAskedFor) {
  Rng rng(8);
  auto s = rng.weighted_sample_without_replacement({0.5, 0.0, 1e-12, 3.0}, 3);
  std::sort(s.begin(), s.end());
  EXPECT_EQ(s, (std::vector<int64_t>{0, 2, 3}));
  EXPECT_THROW(rng.weighted_sample_without_replacement({1.0, 0.0}, 2), std::invalid_argument);
  EXPECT_THROW(rng.weighted_sample_without_replacement({1.0, -1.0}, 1), std::invalid_argument);
}

}  // namespace
}  // namespace zoolab
