// The training head's backward on one row shard (1,024 labelled positions, V = 8192, D = 64, one thread,
// as a shard runs): kernels/dual_product.h, both products from one pass over the stored exps, against
// the two torch::mm calls it replaced.

#include "kernels/dual_product.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_HeadBackward(benchmark::State& state) {
  const int64_t rows = state.range(0), vocab = 8192, dim = 64;
  if (!kReference && !kernels::dual_product_available()) {
    state.SkipWithError("no AVX-512");
    return;
  }
  torch::manual_seed(0);
  const auto exps = torch::rand({rows, vocab});
  const auto weight = torch::randn({vocab, dim});
  const auto h = torch::randn({rows, dim});
  auto ew = torch::empty({rows, dim}), eth = torch::empty({vocab, dim});
  at::set_num_threads(1);
  for (auto _ : state) {
    if (kReference) {
      torch::mm_out(ew, exps, weight);
      torch::mm_out(eth, exps.t(), h);
    } else {
      benchmark::DoNotOptimize(kernels::dual_product(exps, weight, h));
    }
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 4.0 * rows * vocab * dim / 1e9, benchmark::Counter::kIsRate);
}

BENCHMARK_TEMPLATE(BM_HeadBackward, false)
    ->Name("dual_product_head")
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_HeadBackward, true)
    ->Name("dual_product_head_mm_reference")
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
