// The fused causal depthwise convolution at the Figure 2 cell's sizes (B 512, L 64, d_model 64),
// forward + backward, against its plain-torch reference and the LibTorch routes it replaces in the
// mixers: the padded grouped Conv1d over a transposed copy (short filters) and the Toeplitz product
// of kernels::causal_fft_conv (long filters). Arg: number of taps K (3: BaseConv's and Hyena's short
// filter; 64: the long filter, K = L). Then Hyena's fused short filter and gated convolution against
// its reference.

#include "kernels/causal_depthwise_conv.h"
#include "kernels/fft_conv.h"
#include "kernels/gated_causal_conv.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

enum DepthwiseMode { kDepthwiseFused, kDepthwiseReference, kDepthwiseTorchRoute };

template <DepthwiseMode kMode>
void BM_CausalDepthwiseConv(benchmark::State& state) {
  const int64_t batch = 512, len = 64, channels = 64, n_taps = state.range(0);
  torch::manual_seed(0);
  auto x = torch::randn({batch, len, channels}).requires_grad_(true);  // (B, L, D)
  auto taps = torch::randn({channels, n_taps}).requires_grad_(true);   // (D, K)
  run_timed(state, batch * len, [&] {
    torch::Tensor y;
    if (kMode == kDepthwiseFused) {
      y = kernels::causal_depthwise_conv(x, taps);
    } else if (kMode == kDepthwiseReference) {
      y = kernels::causal_depthwise_conv_reference(x, taps);
    } else if (n_taps == len) {
      y = kernels::causal_fft_conv(x.transpose(1, 2), taps).transpose(1, 2);
    } else {
      y = torch::conv1d(x.transpose(1, 2), taps.flip({1}).unsqueeze(1), {}, 1, n_taps - 1, 1, channels)
              .narrow(2, 0, len)
              .transpose(1, 2);
    }
    y.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_CausalDepthwiseConv, kDepthwiseFused)
    ->Name("causal_depthwise_conv")
    ->Arg(3)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CausalDepthwiseConv, kDepthwiseReference)
    ->Name("causal_depthwise_conv_reference")
    ->Arg(3)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CausalDepthwiseConv, kDepthwiseTorchRoute)
    ->Name("causal_depthwise_conv_torch_route")
    ->Arg(3)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond);

// Hyena's short filter and gated long convolution x2 ⊙ (K ⋆ (x1 ⊙ v)) over its input projection
// x (B 512, L 64, 3·64), fused and reference.
template <bool kFusedGate>
void BM_HyenaGatedConv(benchmark::State& state) {
  const int64_t batch = 512, len = 64, channels = 64;
  torch::manual_seed(0);
  auto x = torch::randn({batch, len, 3 * channels}).requires_grad_(true);  // (B, L, 3D)
  auto short_taps = torch::randn({3 * channels, 3}).requires_grad_(true);  // (3D, 3)
  auto short_bias = torch::randn({3 * channels}).requires_grad_(true);     // (3D)
  auto taps = torch::randn({channels, len}).requires_grad_(true);          // (D, L)
  run_timed(state, batch * len, [&] {
    auto y = kFusedGate ? kernels::hyena_gated_conv(x, short_taps, short_bias, taps)
                        : kernels::hyena_gated_conv_reference(x, short_taps, short_bias, taps);
    y.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_HyenaGatedConv, true)->Name("hyena_gated_conv/64")->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_HyenaGatedConv, false)
    ->Name("hyena_gated_conv_reference/64")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
