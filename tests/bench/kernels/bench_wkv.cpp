// RWKV v4's WKV recurrence at Figure 2-like sizes (batch 16, d_model 128): the CPU kernel against
// the step-by-step plain-torch reference and the chunked form tensors off the CPU take (wkv_chunked,
// here on the CPU only to show it is sane). Arg: sequence length T.

#include "kernels/wkv.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

enum class WkvForm { kKernel, kReference, kChunked };

template <WkvForm kForm>
void BM_Wkv(benchmark::State& state) {
  const int64_t batch = 16, len = state.range(0), channels = 128;
  torch::manual_seed(0);
  auto time_decay = torch::randn({channels}).requires_grad_(true);
  auto time_first = torch::randn({channels}).requires_grad_(true);
  auto k = torch::randn({batch, len, channels}).requires_grad_(true);
  auto v = torch::randn({batch, len, channels}).requires_grad_(true);
  run_timed(state, batch * len, [&] {
    auto y = kForm == WkvForm::kReference ? kernels::wkv_reference(time_decay, time_first, k, v)
             : kForm == WkvForm::kChunked ? kernels::wkv_chunked(time_decay, time_first, k, v)
                                          : kernels::wkv(time_decay, time_first, k, v);
    y.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_Wkv, WkvForm::kKernel)->Name("wkv")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Wkv, WkvForm::kReference)
    ->Name("wkv_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Wkv, WkvForm::kChunked)
    ->Name("wkv_chunked")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
