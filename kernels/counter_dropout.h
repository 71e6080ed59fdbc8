#pragma once

// Dropout whose mask is a pure function of (seed, element index), so it never exists as a tensor.
//
// torch::dropout draws a Bernoulli mask tensor with the generator (aten::bernoulli_, ~8 ms per
// 2 M-element mask on 2 cores) and keeps it for the backward pass. Here each element's keep bit is
// a counter-based hash (the splitmix64 finaliser of Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014) of the seed and the element's index: the forward
// and the backward recompute the same bit from the same counter, and fused kernels (attention's
// probabilities, kernels/attention_core.h) apply it inside their own loops. The seed is drawn from
// torch's default generator, so a run stays reproducible from torch::manual_seed.
//
// An element is kept with probability 1 − p (to 2⁻³² resolution) and scaled by 1 / (1 − p), as in
// torch::dropout; the masks differ from torch's (another stream), the distribution does not.

#include <cstdint>
#include <mutex>
#include <vector>

#include <torch/types.h>

namespace zoolab::kernels {

// The keep threshold on a 32-bit hash: element kept iff hash ≥ threshold.
inline uint32_t dropout_threshold(double p) {
  const double scaled = p * 4294967296.0;
  return scaled >= 4294967295.0 ? 4294967295u : static_cast<uint32_t>(scaled);
}

// splitmix64's increment γ (the golden ratio in 64-bit fixed point).
constexpr uint64_t kDropoutGamma = 0x9E3779B97F4A7C15ull;

// The top 32 bits of splitmix64's output for state seed + (counter + 1)·γ.
inline uint32_t dropout_hash(uint64_t seed, uint64_t counter) {
  uint64_t z = seed + (counter + 1) * kDropoutGamma;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<uint32_t>(z >> 32);
}

inline bool dropout_keeps(uint64_t seed, uint64_t counter, uint32_t threshold) {
  return dropout_hash(seed, counter) >= threshold;
}

// out[i] = in[i] · keep(first + i) / (1 − p) for i in [0, n), with threshold = dropout_threshold(p) and
// scale = 1 / (1 − p): a run of consecutive counters, vectorised (a row of the attention kernels'
// probabilities, a thread's part of counter_dropout). Runs on the calling thread; out may be in.
void dropout_span(const float* in, float* out, int64_t n, uint64_t seed, uint64_t first, uint32_t threshold,
                  float scale);
void dropout_span(const double* in, double* out, int64_t n, uint64_t seed, uint64_t first, uint32_t threshold,
                  double scale);

// A fresh seed from torch's default CPU generator (one draw per dropout call).
uint64_t draw_dropout_seed();

// The seeds of one training step whose batch runs as row shards on parallel threads
// (engine/train/row_shards.h). Every shard makes the same dropout calls in the same order; call k of
// any shard gets the k-th seed, drawn from the generator on first use, so the step draws exactly the
// seeds the unsharded step draws, in the same order.
class StepDropoutSeeds {
 public:
  uint64_t seed(size_t call);

 private:
  std::mutex m_mutex;
  std::vector<uint64_t> m_seeds;
};

// While alive, this thread runs the shard of a step whose rows start at `first_row` (see
// dropout_seed_for_rows).
class ScopedDropoutShard {
 public:
  ScopedDropoutShard(StepDropoutSeeds& seeds, int64_t first_row);
  ~ScopedDropoutShard();
  ScopedDropoutShard(const ScopedDropoutShard&) = delete;
  ScopedDropoutShard& operator=(const ScopedDropoutShard&) = delete;
};

// The seed for a dropout over a tensor whose dimension 0 is the batch, `counters_per_row` counters per
// batch row. Outside a shard: draw_dropout_seed(). In one: the seed of this call in the whole batch's
// step, moved so that the shard's counters are the whole batch's counters of its rows. Counter c + Δ
// of seed s hashes seed + (c + Δ + 1)·γ, so moving the counters by Δ = first_row · counters_per_row is
// the seed s + Δ·γ: the shard's masks are bit for bit the rows' masks in the unsharded step.
uint64_t dropout_seed_for_rows(int64_t counters_per_row);

// The keep mask of `numel` consecutive counters from 0, as a bool tensor of `shape` (tests, references).
torch::Tensor counter_dropout_mask(uint64_t seed, torch::IntArrayRef shape, double p);

// x · keep / (1 − p) with the counter mask of x's contiguous element order; differentiable.
// Float32/float64 CPU tensors run the fused loop; other tensors take counter_dropout_reference.
torch::Tensor counter_dropout(const torch::Tensor& x, double p, uint64_t seed);

// The plain-torch reference: the mask materialised, then x · mask / (1 − p).
torch::Tensor counter_dropout_reference(const torch::Tensor& x, double p, uint64_t seed);

// What a model calls: counter_dropout with a drawn seed (dropout_seed_for_rows; dimension 0 of x is the
// batch) on CPU float tensors while training with p > 0; torch::dropout elsewhere (other devices keep
// the plain-torch path); x itself when p is 0.
torch::Tensor fast_dropout(const torch::Tensor& x, double p, bool training);

}  // namespace zoolab::kernels
