// The counter-hash dropout on the Figure 2 attention cell's embeddings (batch 512, L = 64, d_model 64:
// 2 M values, p = 0.1), one thread: kernels/counter_dropout.h against its reference (the mask
// materialised) and torch::dropout.

#include "kernels/counter_dropout.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

enum class DropoutVariant { kCounter, kCounterReference, kTorch };

template <DropoutVariant kVariant>
void BM_CounterDropout(benchmark::State& state) {
  torch::manual_seed(0);
  at::set_num_threads(1);
  const auto x = torch::randn({512, 64, 64});  // (B, L, D)
  torch::NoGradGuard no_grad;
  for (auto _ : state) {
    switch (kVariant) {
      case DropoutVariant::kCounter:
        benchmark::DoNotOptimize(kernels::counter_dropout(x, 0.1, 12345));
        break;
      case DropoutVariant::kCounterReference:
        benchmark::DoNotOptimize(kernels::counter_dropout_reference(x, 0.1, 12345));
        break;
      case DropoutVariant::kTorch:
        benchmark::DoNotOptimize(torch::dropout(x, 0.1, /*train=*/true));
        break;
    }
  }
  state.SetItemsProcessed(state.iterations() * x.numel());
}

BENCHMARK_TEMPLATE(BM_CounterDropout, DropoutVariant::kCounter)->Name("counter_dropout");
BENCHMARK_TEMPLATE(BM_CounterDropout, DropoutVariant::kCounterReference)->Name("counter_dropout_reference");
BENCHMARK_TEMPLATE(BM_CounterDropout, DropoutVariant::kTorch)->Name("torch_dropout_reference");

}  // namespace
}  // namespace zoolab::bench
