// The (gated) delta rule at the sizes of a d_model 64 DeltaNet / Gated DeltaNet (batch 16, 2 heads of
// K = V = 32), forward + backward: the chunked kernel (chunk 64) against the step-by-step reference.
// Arg: sequence length L.

#include "kernels/delta_rule.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

// gate: g uniform in (-gate, 0) per step. 0.1 keeps every decay within a chunk far from float's
// underflow. 4 (a mean log decay of -2 a step, in reach of Gated DeltaNet's gate: A up to 16 times
// softplus(a_proj u + dt_bias)) takes e^{G} within a chunk of 64 through the subnormal range, which x86
// CPUs compute far more slowly unless flush-to-zero is on: "strong_gate" shows that cost.
template <bool kReference, bool kGated, int kGateTenths = 1>
void BM_DeltaRule(benchmark::State& state) {
  const int64_t batch = 16, heads = 2, len = state.range(0), dim = 32;
  torch::manual_seed(0);
  auto q = torch::randn({batch, heads, len, dim}).requires_grad_(true);
  // Unit keys, as the mixers feed them (L2-normalised).
  auto k = torch::nn::functional::normalize(torch::randn({batch, heads, len, dim}),
                                            torch::nn::functional::NormalizeFuncOptions().dim(-1))
               .requires_grad_(true);
  auto v = torch::randn({batch, heads, len, dim}).requires_grad_(true);
  auto beta = torch::rand({batch, heads, len}).requires_grad_(true);
  auto g = kGated ? (-torch::rand({batch, heads, len}) * (kGateTenths / 10.0)).requires_grad_(true)
                  : torch::Tensor();
  const double scale = 1.0 / std::sqrt(static_cast<double>(dim));
  run_timed(state, batch * len, [&] {
    auto o = kReference ? kernels::gated_delta_rule_reference(q, k, v, beta, g, scale)
                        : kernels::gated_delta_rule(q, k, v, beta, g, scale);
    o.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_DeltaRule, false, false)
    ->Name("delta_rule")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_DeltaRule, true, false)
    ->Name("delta_rule_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_DeltaRule, false, true)
    ->Name("gated_delta_rule")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_DeltaRule, true, true)
    ->Name("gated_delta_rule_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_DeltaRule, false, true, 40)
    ->Name("gated_delta_rule_strong_gate")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
