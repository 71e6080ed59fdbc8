// RWKV-7's generalised delta rule at the shapes of Zoology's rwkv7 configs (models_repo.py add_rwkv7:
// d_model 64-128, head_dim 64, so 1-2 heads of K = V = 64; batch 32): the chunked form (chunks of 64)
// against the step-by-step plain-torch reference, forward + backward. Arg: sequence length L.

#include "kernels/rwkv7_recurrence.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_Rwkv7Recurrence(benchmark::State& state) {
  const int64_t batch = 32, heads = 2, len = state.range(0), dim = 64;
  torch::manual_seed(0);
  const auto shape = std::vector<int64_t>{batch, heads, len, dim};
  auto kk = torch::nn::functional::normalize(torch::randn(shape),
                                             torch::nn::functional::NormalizeFuncOptions().dim(-1));
  auto r = torch::randn(shape).requires_grad_(true);
  auto w_log = (-0.6065 * torch::sigmoid(torch::randn(shape))).requires_grad_(true);
  auto k = torch::randn(shape).requires_grad_(true);
  auto v = torch::randn(shape).requires_grad_(true);
  auto a = (-kk).requires_grad_(true);
  auto b = (kk * torch::sigmoid(torch::randn(shape))).requires_grad_(true);
  run_timed(state, batch * len, [&] {
    auto o = kReference ? kernels::rwkv7_recurrence_reference(r, w_log, k, v, a, b, 1.0)
                        : kernels::rwkv7_recurrence(r, w_log, k, v, a, b, 1.0);
    o.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_Rwkv7Recurrence, false)
    ->Name("rwkv7_recurrence")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Rwkv7Recurrence, true)
    ->Name("rwkv7_recurrence_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
