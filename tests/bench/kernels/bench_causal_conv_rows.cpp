// The causal convolution at the labelled rows (kernels/causal_conv_rows.h) against the whole fused
// convolution (kernels/causal_depthwise_conv.h) read at those rows, forward + backward, at BaseConv's long
// convolution in the Zoology Figure 2 cell (batch 512, d_model 64, filter as long as the sequence) with
// four labelled positions per sequence in its second half. Arg: L.

#include "kernels/causal_conv_rows.h"
#include "kernels/causal_depthwise_conv.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kWhole>
void BM_ConvRows(benchmark::State& state) {
  const int64_t batch = 512, seq_len = state.range(0), d_model = 64;
  torch::manual_seed(0);
  const auto offsets =
      torch::tensor({seq_len / 2, seq_len / 2 + seq_len / 8, seq_len - seq_len / 8, seq_len - 1});
  const auto positions =
      (torch::arange(batch).unsqueeze(1) * seq_len + offsets.unsqueeze(0)).view({-1});  // (N,)
  auto x = torch::randn({batch, seq_len, d_model}).requires_grad_(true);
  auto taps = (torch::randn({d_model, seq_len}) * 0.1).requires_grad_(true);
  const auto weights = torch::randn({positions.size(0), d_model});
  run_timed(state, batch * seq_len, [&] {
    const auto out =
        kWhole ? kernels::causal_depthwise_conv(x, taps).view({-1, d_model}).index_select(0, positions)
               : kernels::causal_conv_rows(x, taps, positions);  // (N, D)
    (out * weights).sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_ConvRows, false)->Name("causal_conv_rows")->Arg(64)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_ConvRows, true)->Name("causal_conv_rows_whole")->Arg(64)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
