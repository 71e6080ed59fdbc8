#pragma once

// The magnitude spectrum of a convolution filter (the inspector's pattern viewer plots it beside the taps),
// so a filter's frequency response reads the same in the GUI and in tests. No torch, no Qt.

#include <cstddef>
#include <vector>

namespace zoolab {

// |DFT(x)|_k = |Σ_n x[n]·e^{-2πi·k·n/N}| for k = 0 .. N/2 (a real filter's spectrum is symmetric, so the
// upper half adds nothing). Empty for an empty input. A plain O(N²) sum: filters are at most a sequence
// long and the viewer computes one channel at a time.
std::vector<double> magnitude_spectrum(const float* taps, size_t count);
std::vector<double> magnitude_spectrum(const std::vector<float>& taps);

}  // namespace zoolab
