#include "kernels/counter_dropout.h"

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/causal_depthwise_conv_loops.h"

namespace zoolab::kernels {
namespace {

// Elements per parallel task: hashing costs a few ns per element.
constexpr int64_t kGrain = 1 << 14;

// out[i] = in[i] · keep(first + i) · scale for i in [0, n). Built for the widest vector instructions the CPU
// has (kernels/causal_depthwise_conv_loops.h), the hash's 64-bit products included: one element at a time
// it took 4% of the attention cell's training step (perf).
struct MaskLoop {
  template <int64_t, typename T>
  static ZOOLAB_CONV_INLINE void run(const T* in, T* out, int64_t n, uint64_t seed, uint64_t first,
                                     uint32_t threshold, T scale) {
    // By value: a T& scale could alias out[i], and the loop would not vectorise.
    for (int64_t i = 0; i < n; ++i) {
      out[i] = dropout_hash(seed, first + static_cast<uint64_t>(i)) >= threshold ? in[i] * scale : T(0);
    }
  }
};

// out[i] = in[i] · keep(i) · scale over the contiguous element order.
template <typename T>
void apply_mask(const T* in, T* out, int64_t numel, uint64_t seed, uint32_t threshold, T scale) {
  at::parallel_for(0, numel, kGrain, [&](int64_t begin, int64_t end) {
    dropout_span(in + begin, out + begin, end - begin, seed, static_cast<uint64_t>(begin), threshold, scale);
  });
}

torch::Tensor masked(const torch::Tensor& x_in, double p, uint64_t seed) {
  const auto x = x_in.contiguous();
  auto y = torch::empty_like(x, at::MemoryFormat::Contiguous);
  const uint32_t threshold = dropout_threshold(p);
  AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "counter_dropout", [&] {
    apply_mask<scalar_t>(x.data_ptr<scalar_t>(), y.data_ptr<scalar_t>(), x.numel(), seed, threshold,
                         static_cast<scalar_t>(1.0 / (1.0 - p)));
  });
  return y;
}

class CounterDropout : public torch::autograd::Function<CounterDropout> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, double p,
                               int64_t seed) {
    ctx->saved_data["p"] = p;
    ctx->saved_data["seed"] = seed;
    return masked(x, p, static_cast<uint64_t>(seed));
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    // The same counters give the same mask: d/dx (x · keep · s) = keep · s.
    const double p = ctx->saved_data["p"].toDouble();
    const auto seed = static_cast<uint64_t>(ctx->saved_data["seed"].toInt());
    return {masked(grad_outputs[0], p, seed), torch::Tensor(), torch::Tensor()};
  }
};

bool fused_path(const torch::Tensor& x) {
  return x.device().is_cpu() && (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble);
}

}  // namespace

void dropout_span(const float* in, float* out, int64_t n, uint64_t seed, uint64_t first, uint32_t threshold,
                  float scale) {
  conv_loops::run_best_isa<MaskLoop>(in, out, n, seed, first, threshold, scale);
}

void dropout_span(const double* in, double* out, int64_t n, uint64_t seed, uint64_t first, uint32_t threshold,
                  double scale) {
  conv_loops::run_best_isa<MaskLoop>(in, out, n, seed, first, threshold, scale);
}

uint64_t draw_dropout_seed() {
  // random_() on int64 draws from [0, 2^63) with the default generator: reproducible from manual_seed.
  const auto draw = torch::empty({}, torch::kLong).random_().item<int64_t>();
  return static_cast<uint64_t>(draw) * 2 + 1;
}

uint64_t StepDropoutSeeds::seed(size_t call) {
  const std::lock_guard<std::mutex> lock(m_mutex);
  while (m_seeds.size() <= call) {
    m_seeds.push_back(draw_dropout_seed());
  }
  return m_seeds[call];
}

namespace {

struct ShardState {
  StepDropoutSeeds* seeds = nullptr;
  int64_t first_row = 0;
  size_t next_call = 0;
};
thread_local ShardState t_shard;

}  // namespace

ScopedDropoutShard::ScopedDropoutShard(StepDropoutSeeds& seeds, int64_t first_row) {
  t_shard = ShardState{&seeds, first_row, 0};
}

ScopedDropoutShard::~ScopedDropoutShard() {
  t_shard = ShardState{};
}

uint64_t dropout_seed_for_rows(int64_t counters_per_row) {
  if (t_shard.seeds == nullptr) {
    return draw_dropout_seed();
  }
  const uint64_t seed = t_shard.seeds->seed(t_shard.next_call++);
  const auto shift = static_cast<uint64_t>(t_shard.first_row) * static_cast<uint64_t>(counters_per_row);
  return seed + shift * kDropoutGamma;  // modulo 2^64, as the hash's own arithmetic
}

torch::Tensor counter_dropout_mask(uint64_t seed, torch::IntArrayRef shape, double p) {
  auto mask = torch::empty(shape, torch::kBool);
  auto* data = mask.data_ptr<bool>();
  const uint32_t threshold = dropout_threshold(p);
  for (int64_t i = 0; i < mask.numel(); ++i) {
    data[i] = dropout_keeps(seed, static_cast<uint64_t>(i), threshold);
  }
  return mask;
}

torch::Tensor counter_dropout(const torch::Tensor& x, double p, uint64_t seed) {
  TORCH_CHECK(p >= 0.0 && p < 1.0, "counter_dropout: p must be in [0, 1), got ", p);
  if (!fused_path(x)) {
    return counter_dropout_reference(x, p, seed);
  }
  return CounterDropout::apply(x, p, static_cast<int64_t>(seed));
}

torch::Tensor counter_dropout_reference(const torch::Tensor& x, double p, uint64_t seed) {
  const auto mask = counter_dropout_mask(seed, x.sizes(), p).to(x.device());
  return x * mask.to(x.scalar_type()) / (1.0 - p);
}

torch::Tensor fast_dropout(const torch::Tensor& x, double p, bool training) {
  if (!training || p == 0.0) {
    return x;
  }
  if (!fused_path(x) || p >= 1.0) {
    return torch::dropout(x, p, /*train=*/true);
  }
  const int64_t rows = x.dim() == 0 ? 1 : x.size(0);
  return counter_dropout(x, p, dropout_seed_for_rows(rows == 0 ? 0 : x.numel() / rows));
}

}  // namespace zoolab::kernels
