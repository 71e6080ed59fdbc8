// Mamba-2's SSD scan (kernels/ssd.h) at the shapes of a d_model 64 Mamba2 mixer (expand 2, headdim 32:
// 4 heads of P = 32, one group, d_state N = 16; batch 16): the chunked form (chunk 64) against the
// step-by-step recurrence, forward + backward. Arg: sequence length L.

#include "kernels/ssd.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_Ssd(benchmark::State& state) {
  const int64_t batch = 16, heads = 4, groups = 1, len = state.range(0), hdim = 32, nstate = 16;
  torch::manual_seed(0);
  auto x = torch::randn({batch, heads, len, hdim}).requires_grad_(true);
  auto dt = torch::softplus(torch::randn({batch, heads, len}) - 1.0).requires_grad_(true);
  auto A = (-torch::empty({heads}).uniform_(1.0, 16.0)).requires_grad_(true);
  auto B = torch::randn({batch, groups, len, nstate}).requires_grad_(true);
  auto C = torch::randn({batch, groups, len, nstate}).requires_grad_(true);
  run_timed(state, batch * len, [&] {
    auto y = kReference ? kernels::ssd_scan_reference(x, dt, A, B, C) : kernels::ssd_scan(x, dt, A, B, C, 64);
    y.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_Ssd, false)->Name("ssd")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_Ssd, true)->Name("ssd_reference")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
