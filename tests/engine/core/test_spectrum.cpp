// The pattern viewer's filter spectrum against filters whose DFT is known in closed form.

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "engine/inspect/spectrum.h"

namespace zoolab {
namespace {

TEST(MagnitudeSpectrum, ADeltaIsFlat) {
  for (const size_t n : {1u, 4u, 7u, 16u}) {
    std::vector<float> delta(n, 0.0f);
    delta[0] = 1.0f;
    const auto spectrum = magnitude_spectrum(delta);
    ASSERT_EQ(spectrum.size(), n / 2 + 1);
    for (const double m : spectrum) {
      EXPECT_NEAR(m, 1.0, 1e-12);
    }
    // A shifted delta only changes the phase.
    if (n > 3) {
      std::vector<float> shifted(n, 0.0f);
      shifted[3] = 2.0f;
      for (const double m : magnitude_spectrum(shifted)) {
        EXPECT_NEAR(m, 2.0, 1e-12);
      }
    }
  }
}

TEST(MagnitudeSpectrum, AConstantHasOnlyADcTerm) {
  const std::vector<float> constant(8, 0.5f);
  const auto spectrum = magnitude_spectrum(constant);
  ASSERT_EQ(spectrum.size(), 5u);
  EXPECT_NEAR(spectrum[0], 4.0, 1e-12);
  for (size_t k = 1; k < spectrum.size(); ++k) {
    EXPECT_NEAR(spectrum[k], 0.0, 1e-12);
  }
}

TEST(MagnitudeSpectrum, ACosinePeaksAtItsFrequency) {
  constexpr size_t kN = 32;
  constexpr size_t kBin = 5;
  std::vector<float> wave(kN);
  for (size_t n = 0; n < kN; ++n) {
    wave[n] = static_cast<float>(std::cos(2.0 * M_PI * kBin * n / kN));
  }
  const auto spectrum = magnitude_spectrum(wave);
  ASSERT_EQ(spectrum.size(), kN / 2 + 1);
  for (size_t k = 0; k < spectrum.size(); ++k) {
    EXPECT_NEAR(spectrum[k], k == kBin ? kN / 2.0 : 0.0, 1e-5) << "bin " << k;
  }
}

TEST(MagnitudeSpectrum, EmptyIsEmpty) {
  EXPECT_TRUE(magnitude_spectrum(std::vector<float>{}).empty());
}

}  // namespace
}  // namespace zoolab
