#pragma once

// Causal long convolution through the FFT, the primitive behind BaseConv's long filters and
// Hyena/H3 (reference/zoology-port.md §2.3, `fft_conv`).

#include <torch/types.h>

namespace zoolab::kernels {

// y[b, d, t] = Σ_{s<=t} k[d, t-s] · u[b, d, s], computed as a linear (zero-padded, n = 2L) FFT
// convolution. u: (B, D, L); k: (D, Lk) with Lk >= L (only the first L taps are used).
// Returns (B, D, L) in u's dtype. Unlike Zoology's `fft_conv` this does not add u: callers that
// follow Zoology add the skip term themselves, where the reference does.
torch::Tensor causal_fft_conv(const torch::Tensor& u, const torch::Tensor& k);

// Zoology's fft_conv exactly, for filters longer than the sequence: the whole filter enters an FFT
// of size 2L (rfft pads or trims it to 2L), so when Lk > L the taps past L wrap around onto the
// first outputs. Zoology's explicit LongConvolution has this quirk when it sees sequences shorter
// than l_max; it is kept so weights and outputs match the reference. Equal to causal_fft_conv when
// Lk == L.
torch::Tensor zoology_fft_conv(const torch::Tensor& u, const torch::Tensor& k);

// The same convolution as an explicit sum over taps; slow, for tests.
torch::Tensor causal_conv_reference(const torch::Tensor& u, const torch::Tensor& k);

}  // namespace zoolab::kernels
