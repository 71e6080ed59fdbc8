// Layer norm over MQAR's d_model = 64 rows (4,096 rows: a 64-sequence evaluation shard at L = 64, one
// thread as the shards run): kernels/layer_norm_rows.h against torch::layer_norm, forward, and forward
// with backward.

#include "kernels/layer_norm_rows.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

constexpr int64_t kRows = 4096;
constexpr int64_t kWidth = 64;

template <bool kFused, bool kBackward>
void BM_LayerNormRows(benchmark::State& state) {
  torch::manual_seed(0);
  at::set_num_threads(1);
  auto x = torch::randn({kRows, kWidth}).requires_grad_(kBackward);
  auto weight = torch::randn({kWidth}).requires_grad_(kBackward);
  auto bias = torch::randn({kWidth}).requires_grad_(kBackward);
  const auto dy = torch::randn({kRows, kWidth});
  torch::NoGradGuard no_grad_unless_asked;
  for (auto _ : state) {
    torch::AutoGradMode grad_mode(kBackward);
    const auto y = kFused ? kernels::layer_norm_rows(x, weight, bias, 1e-5)
                          : kernels::layer_norm_rows_reference(x, weight, bias, 1e-5);
    if (kBackward) {
      benchmark::DoNotOptimize(torch::autograd::grad({y}, {x, weight, bias}, {dy}));
    } else {
      benchmark::DoNotOptimize(y);
    }
  }
  state.SetItemsProcessed(state.iterations() * kRows);
}

BENCHMARK_TEMPLATE(BM_LayerNormRows, true, false)->Name("layer_norm_rows");
BENCHMARK_TEMPLATE(BM_LayerNormRows, false, false)->Name("layer_norm_reference");
BENCHMARK_TEMPLATE(BM_LayerNormRows, true, true)->Name("layer_norm_rows_backward");
BENCHMARK_TEMPLATE(BM_LayerNormRows, false, true)->Name("layer_norm_reference_backward");

}  // namespace
}  // namespace zoolab::bench
