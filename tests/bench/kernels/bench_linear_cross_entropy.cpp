// The tied LM head + cross-entropy of an MQAR batch (V = 8192, d = 64): blocked kernel vs the
// materialised logits. Arg: labelled positions N.

#include "kernels/linear_cross_entropy.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_LinearCrossEntropy(benchmark::State& state) {
  const int64_t rows = state.range(0), vocab = 8192, dim = 64;
  torch::manual_seed(0);
  auto h = torch::randn({rows, dim}).requires_grad_(true);
  auto weight = (torch::randn({vocab, dim}) * 0.02).requires_grad_(true);
  auto targets = torch::randint(vocab, {rows}, torch::kLong);
  run_timed(state, rows, [&] {
    auto loss = kReference ? kernels::linear_cross_entropy_reference(h, weight, targets)
                           : kernels::linear_cross_entropy(h, weight, targets);
    loss.backward();
  });
}

BENCHMARK_TEMPLATE(BM_LinearCrossEntropy, false)
    ->Name("linear_cross_entropy")
    ->Arg(64)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_LinearCrossEntropy, true)
    ->Name("linear_cross_entropy_reference")
    ->Arg(64)
    ->Arg(2048)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
