#include "engine/inspect/spectrum.h"

#include <cmath>

namespace zoolab {

std::vector<double> magnitude_spectrum(const float* taps, size_t count) {
  if (count == 0) {
    return {};
  }
  const size_t bins = count / 2 + 1;
  // cos/sin of 2π·m/N for m < N: the exponent k·n is reduced modulo N, so every term reads the table.
  std::vector<double> cosines(count);
  std::vector<double> sines(count);
  const double step = 2.0 * M_PI / static_cast<double>(count);
  for (size_t m = 0; m < count; ++m) {
    cosines[m] = std::cos(step * static_cast<double>(m));
    sines[m] = std::sin(step * static_cast<double>(m));
  }
  std::vector<double> magnitude(bins);
  for (size_t k = 0; k < bins; ++k) {
    double re = 0.0;
    double im = 0.0;
    size_t phase = 0;  // k·n mod N
    for (size_t n = 0; n < count; ++n) {
      re += static_cast<double>(taps[n]) * cosines[phase];
      im -= static_cast<double>(taps[n]) * sines[phase];
      phase += k;
      if (phase >= count) {
        phase -= count;
      }
    }
    magnitude[k] = std::hypot(re, im);
  }
  return magnitude;
}

std::vector<double> magnitude_spectrum(const std::vector<float>& taps) {
  return magnitude_spectrum(taps.data(), taps.size());
}

}  // namespace zoolab
