// The fused causal attention core against its plain-torch reference, forward + backward, at the
// Zoology Figure 2 attention cell's size (batch 512, d_model 64, 1 head, dropout 0.1). Arg: L.

#include <cmath>

#include "kernels/attention_core.h"
#include "kernels/counter_dropout.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_CausalAttention(benchmark::State& state) {
  const int64_t batch = 512, seq_len = state.range(0), d_model = 64;
  const double p = 0.1, scale = 1.0 / std::sqrt(static_cast<double>(d_model));
  torch::manual_seed(0);
  auto qkv = torch::randn({batch, seq_len, 3 * d_model}).requires_grad_(true);
  const auto weights = torch::randn({batch, seq_len, d_model});
  run_timed(state, batch * seq_len, [&] {
    torch::Tensor out;
    if (kReference) {
      // The plain graph with a Bernoulli mask tensor, as MHA ran before the fused core.
      const auto keep = torch::bernoulli(torch::full({batch, seq_len, seq_len}, 1.0 - p)).to(torch::kBool);
      out = kernels::causal_attention_reference(qkv, 1, scale, p, keep);
    } else {
      out = kernels::causal_attention(qkv, 1, scale, p, kernels::draw_dropout_seed());
    }
    (out * weights).sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_CausalAttention, false)
    ->Name("causal_attention")
    ->Arg(64)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_CausalAttention, true)
    ->Name("causal_attention_reference")
    ->Arg(64)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
