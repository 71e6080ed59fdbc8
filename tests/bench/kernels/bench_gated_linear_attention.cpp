// Gated linear attention at the shapes of a d_model 64-128 GLA mixer (batch 16, 4 heads, K = V = 16):
// the chunked kernel (chunk 64, sub-chunks of 8) against the step-by-step plain-torch recurrence, forward
// + backward. Arg: sequence length L.

#include "kernels/gated_linear_attention.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_GatedLinearAttention(benchmark::State& state) {
  const int64_t batch = 16, heads = 4, len = state.range(0), dim = 16;
  torch::manual_seed(0);
  auto q = torch::randn({batch, heads, len, dim}).requires_grad_(true);
  auto k = torch::randn({batch, heads, len, dim}).requires_grad_(true);
  auto v = torch::randn({batch, heads, len, dim}).requires_grad_(true);
  auto g = (torch::log_sigmoid(torch::randn({batch, heads, len, dim})) / 16).requires_grad_(true);
  const double scale = 0.25;  // K^-1/2
  run_timed(state, batch * len, [&] {
    auto o = kReference ? kernels::gated_linear_attention_reference(q, k, v, g, scale)
                        : kernels::gated_linear_attention(q, k, v, g, scale);
    o.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_GatedLinearAttention, false)
    ->Name("gated_linear_attention")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_GatedLinearAttention, true)
    ->Name("gated_linear_attention_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
