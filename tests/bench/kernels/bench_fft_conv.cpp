// The FFT long convolution at the size of H3's state convolution in the Figure 2 cell d_model 64,
// head_dim 2 (B 64 examples, 128 channels): the custom autograd function vs the same FFTs
// differentiated by LibTorch: the Toeplitz path, the FFT path and the reference. Arg: sequence length L.
// fft_conv picks the path by L (kernels::kToeplitzMaxLen), as the mixers do, on the CPU; tensors off the
// CPU take the FFT path at every length (kernels::device_conv_path), the one fft_conv_fft_path times.

#include "kernels/fft_conv.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

enum Mode { kAuto, kToeplitz, kFft, kReference };

template <Mode kMode>
void BM_FftConv(benchmark::State& state) {
  const int64_t batch = 64, channels = 128, len = state.range(0);
  torch::manual_seed(0);
  auto u = torch::randn({batch, channels, len}).requires_grad_(true);
  auto k = torch::randn({channels, len}).requires_grad_(true);
  run_timed(state, batch * len, [&] {
    auto y = kMode == kReference  ? kernels::fft_conv_reference(u, k)
             : kMode == kToeplitz ? kernels::causal_fft_conv(u, k, kernels::ConvPath::kToeplitz)
             : kMode == kFft      ? kernels::causal_fft_conv(u, k, kernels::ConvPath::kFft)
                                  : kernels::causal_fft_conv(u, k);
    y.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_FftConv, kAuto)->Name("fft_conv")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_FftConv, kReference)
    ->Name("fft_conv_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_FftConv, kToeplitz)
    ->Name("fft_conv_toeplitz_path")
    ->Arg(64)
    ->Arg(128)
    ->Arg(256)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_FftConv, kFft)
    ->Name("fft_conv_fft_path")
    ->Arg(64)
    ->Arg(128)
    ->Arg(256)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
