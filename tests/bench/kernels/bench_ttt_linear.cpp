// TTT-Linear's and TTT-MLP's inner loops at the shapes of Zoology's models_repo add_ttt (d_model 64,
// num_heads 2: head width F = 32, mini-batch 16; TTT-MLP's hidden width 4F), batch 16: the dual form
// (batched matmuls per mini-batch) against the primal form token by token, forward + backward.
// Arg: sequence length L.

#include "kernels/ttt_linear.h"
#include "kernels/ttt_mlp.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

template <bool kReference>
void BM_TttLinear(benchmark::State& state) {
  const int64_t batch = 16, heads = 2, len = state.range(0), f = 32, chunk = 16;
  torch::manual_seed(0);
  auto q = torch::randn({batch, heads, len, f}).requires_grad_(true);
  auto k = (torch::randn({batch, heads, len, f}) / std::sqrt(static_cast<double>(f))).requires_grad_(true);
  auto v = torch::randn({batch, heads, len, f}).requires_grad_(true);
  auto eta_row = torch::rand({batch, heads, len}).requires_grad_(true);
  auto eta_col = (torch::rand({batch, heads, len}) / f).requires_grad_(true);
  auto w0 = (0.02 * torch::randn({heads, f, f})).requires_grad_(true);
  auto b0 = torch::zeros({heads, f}).requires_grad_(true);
  auto ln_weight = torch::ones({heads, f}).requires_grad_(true);
  auto ln_bias = torch::zeros({heads, f}).requires_grad_(true);
  run_timed(state, batch * len, [&] {
    auto z = kReference
                 ? kernels::ttt_linear_reference(q, k, v, eta_row, eta_col, w0, b0, ln_weight, ln_bias, chunk)
                 : kernels::ttt_linear(q, k, v, eta_row, eta_col, w0, b0, ln_weight, ln_bias, chunk);
    z.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_TttLinear, false)->Name("ttt_linear")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_TttLinear, true)
    ->Name("ttt_linear_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

template <bool kReference>
void BM_TttMlp(benchmark::State& state) {
  const int64_t batch = 16, heads = 2, len = state.range(0), f = 32, hidden = 4 * f, chunk = 16;
  torch::manual_seed(0);
  auto q = torch::randn({batch, heads, len, f}).requires_grad_(true);
  auto k = (torch::randn({batch, heads, len, f}) / std::sqrt(static_cast<double>(f))).requires_grad_(true);
  auto v = torch::randn({batch, heads, len, f}).requires_grad_(true);
  auto eta_row = torch::rand({batch, heads, len}).requires_grad_(true);
  auto eta_col = (torch::rand({batch, heads, len}) / f).requires_grad_(true);
  auto w1 = (0.02 * torch::randn({heads, f, hidden})).requires_grad_(true);
  auto b1 = torch::zeros({heads, hidden}).requires_grad_(true);
  auto w2 = (0.02 * torch::randn({heads, hidden, f})).requires_grad_(true);
  auto b2 = torch::zeros({heads, f}).requires_grad_(true);
  auto ln_weight = torch::ones({heads, f}).requires_grad_(true);
  auto ln_bias = torch::zeros({heads, f}).requires_grad_(true);
  run_timed(state, batch * len, [&] {
    auto z =
        kReference
            ? kernels::ttt_mlp_reference(q, k, v, eta_row, eta_col, w1, b1, w2, b2, ln_weight, ln_bias, chunk)
            : kernels::ttt_mlp(q, k, v, eta_row, eta_col, w1, b1, w2, b2, ln_weight, ln_bias, chunk);
    z.sum().backward();
  });
}

BENCHMARK_TEMPLATE(BM_TttMlp, false)->Name("ttt_mlp")->Arg(64)->Arg(512)->Unit(benchmark::kMillisecond);
BENCHMARK_TEMPLATE(BM_TttMlp, true)
    ->Name("ttt_mlp_reference")
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace zoolab::bench
