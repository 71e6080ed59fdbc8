// The logits of an MQAR head block (V = 8192, D = 64, one thread, as evaluation's blocks run):
// kernels/packed_product.h (W packed once, outside the loop) against torch::mm_out. Arg: rows.

#include "kernels/packed_product.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_HeadProduct(benchmark::State& state) {
  const int64_t rows = state.range(0), vocab = 8192, dim = 64;
  if (!kReference && !kernels::packed_product_available()) {
    state.SkipWithError("no AVX-512");
    return;
  }
  torch::manual_seed(0);
  const auto h = torch::randn({rows, dim});
  const auto weight = torch::randn({vocab, dim});
  const kernels::PackedWeight packed(weight.data_ptr<float>(), vocab, dim);
  auto out = torch::empty({rows, vocab});
  at::set_num_threads(1);
  for (auto _ : state) {
    if (kReference) {
      torch::mm_out(out, h, weight.t());
    } else {
      kernels::packed_product(h.data_ptr<float>(), rows, packed, nullptr, out.data_ptr<float>());
    }
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2.0 * rows * vocab * dim / 1e9, benchmark::Counter::kIsRate);
}

BENCHMARK_TEMPLATE(BM_HeadProduct, false)->Name("packed_product_head")->Arg(24)->Arg(128);
// Packing W (V, D) into panels, once per evaluation.
void BM_PackHead(benchmark::State& state) {
  const auto weight = torch::randn({8192, 64});
  for (auto _ : state) {
    const kernels::PackedWeight packed(weight.data_ptr<float>(), 8192, 64);
    benchmark::DoNotOptimize(packed.panel(0));
  }
}
BENCHMARK(BM_PackHead)->Name("packed_product_pack_head");
BENCHMARK_TEMPLATE(BM_HeadProduct, true)->Name("packed_product_head_mm_reference")->Arg(24)->Arg(128);

}  // namespace
}  // namespace zoolab::bench
