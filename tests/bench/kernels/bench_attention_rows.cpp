// Attention at the labelled rows (kernels/attention_rows.h) against the whole fused core read at those
// rows, forward + backward, at the Zoology Figure 2 attention cell's size (batch 512, d_model 64, 1 head,
// dropout 0.1) with four labelled positions per sequence in its second half, as MQAR's queries. Arg: L.

#include <cmath>

#include "kernels/attention_core.h"
#include "kernels/attention_rows.h"
#include "kernels/counter_dropout.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

// Four increasing positions per sequence, all in its second half: (4·B,) flat b·L + i.
torch::Tensor query_rows(int64_t batch, int64_t seq_len) {
  const auto offsets =
      torch::tensor({seq_len / 2, seq_len / 2 + seq_len / 8, seq_len - seq_len / 8, seq_len - 1});
  return (torch::arange(batch).unsqueeze(1) * seq_len + offsets.unsqueeze(0)).view({-1});
}

template <bool kWhole>
void BM_AttentionRows(benchmark::State& state) {
  const int64_t batch = 512, seq_len = state.range(0), d_model = 64;
  const double p = 0.1, scale = 1.0 / std::sqrt(static_cast<double>(d_model));
  torch::manual_seed(0);
  const auto positions = query_rows(batch, seq_len);
  auto qkv = torch::randn({batch, seq_len, 3 * d_model}).requires_grad_(true);
  auto q = torch::randn({positions.size(0), d_model}).requires_grad_(true);
  auto kv = torch::randn({batch, seq_len, 2 * d_model}).requires_grad_(true);
  const auto weights = torch::randn({positions.size(0), d_model});
  run_timed(state, batch * seq_len, [&] {
    const uint64_t seed = kernels::draw_dropout_seed();
    const auto out =
        kWhole
            ? kernels::causal_attention(qkv, 1, scale, p, seed).view({-1, d_model}).index_select(0, positions)
            : kernels::causal_attention_rows(q, kv, positions, 1, scale, p, seed);  // (N, D)
    (out * weights).sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_AttentionRows, false)
    ->Name("causal_attention_rows")
    ->Arg(64)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_AttentionRows, true)
    ->Name("causal_attention_rows_whole")
    ->Arg(64)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
