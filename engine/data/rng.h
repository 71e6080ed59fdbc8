#pragma once

// zoolab's own deterministic random number generator, so that a data seed gives the same datasets
// on every compiler, standard library and platform (std:: distributions are implementation-defined
// and are never used here).
//
// - SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014;
//   the variant Vigna recommends for seeding) expands a 64-bit seed into the generator's state.
// - xoshiro256** (Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2018/2021;
//   reference code at https://prng.di.unimi.it/xoshiro256starstar.c) produces the stream.
//
// Zoology draws its MQAR data with numpy's legacy Mersenne Twister (docs/reference.md#random-numbers); we do
// not reproduce numpy's bit stream, only its sampling semantics (see weighted_sample_without_replacement).

#include <array>
#include <cstdint>
#include <vector>

namespace zoolab {

// One SplitMix64 step: advances `state` by the golden-ratio increment 0x9e3779b97f4a7c15
// (2^64 / phi, odd) and returns the state mixed by Stafford's "Mix13" finalizer (shifts 30, 27, 31;
// multipliers 0xbf58476d1ce4e5b9, 0x94d049bb133111eb).
inline uint64_t splitmix64_next(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  // The state is four consecutive SplitMix64 outputs from `seed`; they are never all zero (the
  // one state xoshiro must avoid), since SplitMix64's output function is a bijection.
  explicit Rng(uint64_t seed);

  // A generator with an explicit state (for the published test vectors). Must not be all zero.
  static Rng from_state(const std::array<uint64_t, 4>& state);

  const std::array<uint64_t, 4>& state() const { return m_state; }

  // The next raw 64-bit output of xoshiro256**.
  uint64_t next_u64();

  // Uniform in [0, n) without modulo bias (rejection of the 2^64 mod n lowest raw values, as
  // OpenBSD's arc4random_uniform does). Requires n > 0.
  uint64_t uniform_int(uint64_t n);

  // Uniform in [0, 1): the top 53 bits of one output times 2^-53, so every value is a multiple of
  // 2^-53 and 1.0 is never returned.
  double uniform_double();

  // k distinct indices from [0, pool_size), in the order drawn (a uniformly random k-permutation),
  // by a partial Fisher–Yates shuffle of the identity: step i swaps position i with a uniform
  // position in [i, pool_size). Requires 0 <= k <= pool_size. Uses O(k) memory for any pool size
  // and gives exactly the result of the dense shuffle.
  std::vector<int64_t> sample_without_replacement(int64_t pool_size, int64_t k);

  // k distinct indices drawn with probabilities proportional to `weights`, without replacement,
  // with the semantics of numpy's `choice(n, size=k, replace=False, p=weights)`: each draw picks an
  // index by inverting the cumulative weights at a uniform double (numpy's
  // `cdf.searchsorted(u, side="right")`), then that weight is zeroed and the rest renormalised.
  // (numpy draws several at once and keeps the first occurrence of each index, which gives the same
  // distribution.) Zero weights are never drawn. Requires finite, non-negative weights with at least
  // k of them positive.
  std::vector<int64_t> weighted_sample_without_replacement(const std::vector<double>& weights, int64_t k);

 private:
  Rng() = default;
  std::array<uint64_t, 4> m_state{};
};

}  // namespace zoolab
