// Mamba's selective scan at Mamba's sizes for d_model 64 (B = 8, D_inner = expand·d_model = 128,
// N = d_state = 16), with delta bias, softplus, D skip and z gate as the mixer calls it: fast CPU
// kernel vs the plain-torch loop over L vs the chunked form tensors off the CPU take
// (selective_scan_chunked, here on the CPU only to show it is sane). Arg: sequence length L.

#include "kernels/selective_scan.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

enum class ScanForm { kKernel, kReference, kChunked };

template <ScanForm kForm>
void BM_SelectiveScan(benchmark::State& state) {
  const int64_t batch = 8, dim = 128, nstate = 16, len = state.range(0);
  torch::manual_seed(0);
  auto u = torch::randn({batch, dim, len}).requires_grad_(true);
  auto delta = (torch::randn({batch, dim, len}) * 0.5).requires_grad_(true);
  auto A = (-torch::arange(1, nstate + 1, torch::kFloat).repeat({dim, 1})).requires_grad_(true);
  auto B = torch::randn({batch, nstate, len}).requires_grad_(true);
  auto C = torch::randn({batch, nstate, len}).requires_grad_(true);
  auto D = torch::ones({dim}).requires_grad_(true);
  auto z = torch::randn({batch, dim, len}).requires_grad_(true);
  auto bias = (torch::rand({dim}) * -4.0 - 2.0).requires_grad_(true);
  run_timed(state, batch * len, [&] {
    auto out =
        kForm == ScanForm::kReference ? kernels::selective_scan_reference(u, delta, A, B, C, D, z, bias, true)
        : kForm == ScanForm::kChunked ? kernels::selective_scan_chunked(u, delta, A, B, C, D, z, bias, true)
                                      : kernels::selective_scan(u, delta, A, B, C, D, z, bias, true);
    out.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_SelectiveScan, ScanForm::kKernel)
    ->Name("selective_scan")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_SelectiveScan, ScanForm::kReference)
    ->Name("selective_scan_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_SelectiveScan, ScanForm::kChunked)
    ->Name("selective_scan_chunked")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
