#pragma once

// Causal long convolution through the FFT, the primitive behind BaseConv's long filters and
// Hyena/H3 (docs/reference.md#base_conv, `fft_conv`).
//
// Two ways to the same numbers. Short sequences (the Figure 2 cells, L <= kToeplitzMaxLen) multiply
// by the (L, L) Toeplitz matrix of each channel's filter: B·D·L² multiply-adds in one batched
// matrix product, far faster on CPU than LibTorch's FFTs and complex products at these sizes.
// Longer ones use a custom autograd function whose backward is two real FFTs per input (a
// correlation for each gradient) instead of LibTorch's derivative of rfft, which goes through a
// zero-filled full complex spectrum and a complex-to-complex FFT (bench_kernels: fft_conv vs
// fft_conv_reference).

#include <torch/types.h>

namespace zoolab::kernels {

// How the convolution is computed. kAuto picks by device and sequence length: on the CPU, the Toeplitz
// product up to kToeplitzMaxLen and the FFT above; on any other device (a GPU), the FFT at every length
// (device_conv_path), whose O(L log L) cost and O(L) memory per channel beat the Toeplitz product's
// O(L²) of both once the few FFT launches are paid; the result is the same convolution, computed
// without approximation. kFft forces that form on the CPU (tests, benchmarks).
enum class ConvPath { kAuto, kToeplitz, kFft };

// The longest sequence kAuto convolves through the Toeplitz matrix: at L = 64 and 128, H3 and BaseConv
// trained faster this way than through the FFT (`zoolab-cli bench --threads 1`); above, the L² cost grows.
constexpr int64_t kToeplitzMaxLen = 128;

// The path kAuto resolves to for a tensor off the CPU: kFft (the other paths are returned as given, and
// kAuto on the CPU stays kAuto, decided by length).
ConvPath device_conv_path(const torch::Tensor& u, ConvPath path);

// y[b, d, t] = Σ_{s<=t} k[d, t-s] · u[b, d, s], computed as a linear (zero-padded, n = 2L) FFT
// convolution. u: (B, D, L); k: (D, Lk) with Lk >= L (only the first L taps are used).
// Returns (B, D, L) in u's dtype. Unlike Zoology's `fft_conv` this does not add u: callers that
// follow Zoology add the skip term themselves, where the reference does.
torch::Tensor causal_fft_conv(const torch::Tensor& u, const torch::Tensor& k,
                              ConvPath path = ConvPath::kAuto);

// Zoology's fft_conv exactly, for filters longer than the sequence: the whole filter enters an FFT
// of size 2L (rfft pads or trims it to 2L), so when Lk > L the taps past L wrap around onto the
// first outputs. Zoology's explicit LongConvolution has this quirk when it sees sequences shorter
// than l_max; it is kept so weights and outputs match the reference. Equal to causal_fft_conv when
// Lk == L.
torch::Tensor zoology_fft_conv(const torch::Tensor& u, const torch::Tensor& k,
                               ConvPath path = ConvPath::kAuto);

// zoology_fft_conv in plain torch ops, differentiated by autograd: the reference the kernel is
// tested and benchmarked against.
torch::Tensor fft_conv_reference(const torch::Tensor& u, const torch::Tensor& k);

// The causal convolution as an explicit sum over taps; slow, for tests.
torch::Tensor causal_conv_reference(const torch::Tensor& u, const torch::Tensor& k);

}  // namespace zoolab::kernels
