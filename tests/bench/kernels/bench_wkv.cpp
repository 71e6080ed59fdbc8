// RWKV v4's WKV recurrence at Figure 2-like sizes (batch 16, d_model 128): the CPU kernel against
// the step-by-step plain-torch reference. Arg: sequence length T.

#include "kernels/wkv.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_Wkv(benchmark::State& state) {
  const int64_t batch = 16, len = state.range(0), channels = 128;
  torch::manual_seed(0);
  auto time_decay = torch::randn({channels}).requires_grad_(true);
  auto time_first = torch::randn({channels}).requires_grad_(true);
  auto k = torch::randn({batch, len, channels}).requires_grad_(true);
  auto v = torch::randn({batch, len, channels}).requires_grad_(true);
  run_timed(state, batch * len, [&] {
    auto y = kReference ? kernels::wkv_reference(time_decay, time_first, k, v)
                        : kernels::wkv(time_decay, time_first, k, v);
    y.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_Wkv, false)->Name("wkv")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Wkv, true)->Name("wkv_reference")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
