// The softmax statistics of an MQAR head block (128 rows of V = 8192 logits, one thread, as the
// evaluation's blocks run): kernels/softmax_rows.h against the ATen ops it replaces, log_softmax + argmax
// (evaluation) and amax, sub, exp and sum (the training head's stored exps). Arg: rows.

#include "kernels/softmax_rows.h"
#include "tests/bench/kernels/bench_common.h"

namespace zoolab::bench {
namespace {

constexpr int64_t kVocab = 8192;

enum class Variant { kStats, kExps, kLogSoftmaxArgmax, kAtenExps };

template <Variant kVariant>
void BM_SoftmaxRows(benchmark::State& state) {
  const int64_t rows = state.range(0);
  torch::manual_seed(0);
  const auto logits = torch::randn({rows, kVocab}) * 4;  // (R, V)
  auto work = logits.clone();
  auto max = torch::empty({rows}), sum = torch::empty({rows});
  auto argmax = torch::empty({rows}, torch::kLong);
  const kernels::SoftmaxRowStats out{max.data_ptr<float>(), sum.data_ptr<float>(),
                                     argmax.data_ptr<int64_t>()};
  at::set_num_threads(1);
  for (auto _ : state) {
    switch (kVariant) {
      case Variant::kStats:
        kernels::softmax_row_stats(logits.data_ptr<float>(), rows, kVocab, out);
        break;
      case Variant::kExps:
        work.copy_(logits);  // the kernel works in place
        kernels::exp_rows_in_place(work.data_ptr<float>(), rows, kVocab, out);
        break;
      case Variant::kLogSoftmaxArgmax:
        benchmark::DoNotOptimize(torch::log_softmax(logits, 1));
        benchmark::DoNotOptimize(logits.argmax(1));
        break;
      case Variant::kAtenExps: {
        work.copy_(logits);
        const auto m = work.amax(1, /*keepdim=*/true);
        work.sub_(m).exp_();
        torch::sum_out(sum, work, 1);
        break;
      }
    }
  }
  state.SetItemsProcessed(state.iterations() * rows * kVocab);
}

BENCHMARK_TEMPLATE(BM_SoftmaxRows, Variant::kStats)->Name("softmax_row_stats")->Arg(64)->Arg(128);
BENCHMARK_TEMPLATE(BM_SoftmaxRows, Variant::kLogSoftmaxArgmax)
    ->Name("log_softmax_argmax_reference")
    ->Arg(64)
    ->Arg(128);
BENCHMARK_TEMPLATE(BM_SoftmaxRows, Variant::kExps)->Name("exp_rows_in_place")->Arg(64)->Arg(128);
BENCHMARK_TEMPLATE(BM_SoftmaxRows, Variant::kAtenExps)->Name("amax_sub_exp_sum_reference")->Arg(64)->Arg(128);

}  // namespace
}  // namespace zoolab::bench
