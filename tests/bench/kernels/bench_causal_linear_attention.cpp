// Based's causal linear view at the Figure 2 "based" size (B 16, one head, Taylor f = 8 → E = 73,
// hd = d_model 64): running-state kernel vs the cumsum reference vs the chunked form tensors off the
// CPU take (causal_linear_attention_chunked, here on the CPU only to show it is sane). Arg: sequence
// length L.

#include "kernels/causal_linear_attention.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

enum class LinearForm { kKernel, kReference, kChunked };

template <LinearForm kForm>
void BM_CausalLinearAttention(benchmark::State& state) {
  const int64_t batch = 16, heads = 1, len = state.range(0), features = 73, head_dim = 64;
  torch::manual_seed(0);
  auto q = torch::rand({batch, heads, len, features}).requires_grad_(true);
  auto k = torch::rand({batch, heads, len, features}).requires_grad_(true);
  auto v = torch::randn({batch, heads, len, head_dim}).requires_grad_(true);
  run_timed(state, batch * len, [&] {
    auto y = kForm == LinearForm::kReference ? kernels::causal_linear_attention_reference(q, k, v, 1e-12)
             : kForm == LinearForm::kChunked ? kernels::causal_linear_attention_chunked(q, k, v, 1e-12).first
                                             : kernels::causal_linear_attention(q, k, v, 1e-12);
    y.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_CausalLinearAttention, LinearForm::kKernel)
    ->Name("causal_linear_attention")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CausalLinearAttention, LinearForm::kReference)
    ->Name("causal_linear_attention_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CausalLinearAttention, LinearForm::kChunked)
    ->Name("causal_linear_attention_chunked")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
