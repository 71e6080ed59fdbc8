// The logits of an MQAR head block (V = 8192, D = 64, one thread, as evaluation's blocks run):
// kernels/head_logits.h (W packed once, outside the loop) against torch::mm_out. Arg: rows.

#include "kernels/head_logits.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_HeadLogits(benchmark::State& state) {
  const int64_t rows = state.range(0), vocab = 8192, dim = 64;
  if (!kReference && !kernels::head_logits_available()) {
    state.SkipWithError("no AVX-512");
    return;
  }
  torch::manual_seed(0);
  const auto h = torch::randn({rows, dim});
  const auto weight = torch::randn({vocab, dim});
  const kernels::PackedHeadWeight packed(weight.data_ptr<float>(), vocab, dim);
  auto out = torch::empty({rows, vocab});
  at::set_num_threads(1);
  for (auto _ : state) {
    if (kReference) {
      torch::mm_out(out, h, weight.t());
    } else {
      kernels::head_logits(h.data_ptr<float>(), rows, packed, out.data_ptr<float>());
    }
  }
  state.SetItemsProcessed(state.iterations() * rows);
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * 2.0 * rows * vocab * dim / 1e9, benchmark::Counter::kIsRate);
}

BENCHMARK_TEMPLATE(BM_HeadLogits, false)->Name("head_logits")->Arg(24)->Arg(128);
// Packing W (V, D) into panels, once per evaluation.
void BM_PackHeadWeight(benchmark::State& state) {
  const auto weight = torch::randn({8192, 64});
  for (auto _ : state) {
    const kernels::PackedHeadWeight packed(weight.data_ptr<float>(), 8192, 64);
    benchmark::DoNotOptimize(packed.panel(0));
  }
}
BENCHMARK(BM_PackHeadWeight)->Name("pack_head_weight");
BENCHMARK_TEMPLATE(BM_HeadLogits, true)->Name("head_logits_mm_reference")->Arg(24)->Arg(128);

}  // namespace
}  // namespace zoolab::bench
