// TensorBoard's debiased EMA (views/curve_smoothing.h) against numbers worked out by hand.

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "views/curve_smoothing.h"

namespace zoolab {
namespace {

constexpr double kGap = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Equal bit for bit, NaN matching NaN.
void expectSameSeries(const std::vector<double>& actual, const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << "at " << i;
    } else {
      EXPECT_EQ(actual[i], expected[i]) << "at " << i;
    }
  }
}

TEST(EmaSmooth, DebiasesTheAverage) {
  // w = 0.5: last = 0.5, 1.25, 2.125; divided by 1 - 0.5^n = 0.5, 0.75, 0.875.
  const std::vector<double> smoothed = ema_smooth({1.0, 2.0, 3.0}, 0.5);
  ASSERT_EQ(smoothed.size(), 3u);
  EXPECT_DOUBLE_EQ(smoothed[0], 1.0);
  EXPECT_DOUBLE_EQ(smoothed[1], 5.0 / 3.0);
  EXPECT_DOUBLE_EQ(smoothed[2], 17.0 / 7.0);
}

TEST(EmaSmooth, UsesTensorBoardsDefaultWeight) {
  // w = 0.6: last = 4, then 2.4; divided by 0.4, then 1 - 0.36 = 0.64.
  const std::vector<double> smoothed = ema_smooth({10.0, 0.0}, kDefaultSmoothingWeight);
  EXPECT_DOUBLE_EQ(smoothed[0], 10.0);
  EXPECT_DOUBLE_EQ(smoothed[1], 3.75);
  EXPECT_DOUBLE_EQ(kDefaultSmoothingWeight, 0.6);
}

TEST(EmaSmooth, WeightZeroIsTheRawSeries) {
  const std::vector<double> values{3.0, -1.0, 7.5, 0.25};
  expectSameSeries(ema_smooth(values, 0.0), values);
}

TEST(EmaSmooth, NonFiniteValuesPassThroughAndDoNotEnterTheAverage) {
  // The NaN and the inf are skipped: 3 is the second averaged value, (0.25 + 1.5) / 0.75 = 7/3.
  const std::vector<double> smoothed = ema_smooth({1.0, kGap, kInf, 3.0}, 0.5);
  EXPECT_DOUBLE_EQ(smoothed[0], 1.0);
  EXPECT_TRUE(std::isnan(smoothed[1]));
  EXPECT_EQ(smoothed[2], kInf);
  EXPECT_DOUBLE_EQ(smoothed[3], 7.0 / 3.0);
}

TEST(EmaSmooth, LeadingNaNDoesNotBreakTheRest) {
  const std::vector<double> smoothed = ema_smooth({kGap, 4.0, 2.0}, 0.5);
  EXPECT_TRUE(std::isnan(smoothed[0]));
  EXPECT_DOUBLE_EQ(smoothed[1], 4.0);
  EXPECT_DOUBLE_EQ(smoothed[2], (1.0 + 1.0) / 0.75);
}

TEST(EmaSmooth, ConstantSeriesIsLeftExactlyAsIs) {
  const std::vector<double> values(50, 0.1);
  expectSameSeries(ema_smooth(values, 0.999), values);
}

TEST(EmaSmooth, EmptySeriesGivesEmpty) {
  EXPECT_TRUE(ema_smooth({}, 0.6).empty());
}

TEST(EmaSmooth, RejectsWeightsOutsideZeroToOne) {
  EXPECT_THROW(ema_smooth({1.0}, 1.5), std::invalid_argument);
  EXPECT_THROW(ema_smooth({1.0}, -0.1), std::invalid_argument);
  EXPECT_THROW(ema_smooth({1.0}, kGap), std::invalid_argument);
  EXPECT_THROW(EmaSmoother(2.0), std::invalid_argument);
  try {
    ema_smooth({1.0}, 1.5);
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("smoothing weight"), std::string::npos) << error.what();
  }
}

TEST(EmaSmooth, WeightOneGivesZerosAsTensorBoardDoes) {
  expectSameSeries(ema_smooth({1.0, 2.0}, 1.0), {0.0, 0.0});
}

// A series with a constant prefix (smoothed raw until it breaks), non-finite values, and enough points that
// the debiasing divisor reaches exactly 1.
std::vector<double> awkwardSeries() {
  std::vector<double> values{2.0, 2.0, 2.0};
  for (int i = 0; i < 300; ++i) {
    values.push_back(std::sin(0.1 * i) + 0.01 * i);
  }
  values[40] = kGap;
  values[41] = -kInf;
  return values;
}

TEST(EmaSmoother, OneAtATimeEqualsOneShotAtEveryPrefix) {
  const std::vector<double> values = awkwardSeries();
  for (double weight : {0.0, 0.3, 0.6, 0.95, 0.999}) {
    EmaSmoother smoother(weight);
    std::vector<double> incremental;
    bool invalidated = false;
    for (size_t i = 0; i < values.size(); ++i) {
      incremental.push_back(smoother.add(values[i]));
      if (smoother.invalidatedEarlier()) {
        invalidated = true;
        const std::vector<double> prefix(values.begin(), values.begin() + static_cast<long>(i) + 1);
        incremental = ema_smooth(prefix, weight);  // what the view does when told
      }
      if (i == 2) {
        expectSameSeries(incremental, {2.0, 2.0, 2.0});  // constant so far: drawn raw
      }
    }
    EXPECT_TRUE(invalidated) << "the fourth value ends the constant prefix";
    EXPECT_EQ(smoother.size(), static_cast<int64_t>(values.size()));
    expectSameSeries(incremental, ema_smooth(values, weight));
  }
}

TEST(EmaSmoother, SmoothAllEqualsEmaSmoothAndContinues) {
  const std::vector<double> values = awkwardSeries();
  EmaSmoother smoother(0.6);
  std::vector<double> first(values.begin(), values.begin() + 100);
  std::vector<double> smoothed = smoother.smoothAll(first);
  expectSameSeries(smoothed, ema_smooth(first, 0.6));
  for (size_t i = 100; i < values.size(); ++i) {
    smoothed.push_back(smoother.add(values[i]));
    EXPECT_FALSE(smoother.invalidatedEarlier());
  }
  expectSameSeries(smoothed, ema_smooth(values, 0.6));
}

TEST(EmaSmoother, ResetStartsANewSeries) {
  EmaSmoother smoother(0.5);
  smoother.add(100.0);
  smoother.add(-3.0);
  smoother.reset();
  EXPECT_EQ(smoother.size(), 0);
  EXPECT_DOUBLE_EQ(smoother.add(1.0), 1.0);
  EXPECT_FALSE(smoother.invalidatedEarlier());
  // As for {1, 2} from the start: nothing of 100 and -3 is left in the average.
  EXPECT_DOUBLE_EQ(smoother.add(2.0), 5.0 / 3.0);
  EXPECT_TRUE(smoother.invalidatedEarlier());
}

}  // namespace
}  // namespace zoolab
