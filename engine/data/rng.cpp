#include "engine/data/rng.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace zoolab {

namespace {

inline uint64_t rotl(uint64_t x, int k) {
  return (x << k) | (x >> (64 - k));
}

}  // namespace

Rng::Rng(uint64_t seed) {
  uint64_t sm = seed;
  for (auto& word : m_state)
    word = splitmix64_next(sm);
}

Rng Rng::from_state(const std::array<uint64_t, 4>& state) {
  if (state[0] == 0 && state[1] == 0 && state[2] == 0 && state[3] == 0) {
    throw std::invalid_argument("Rng::from_state: the all-zero state is a fixed point of xoshiro256**");
  }
  Rng rng;
  rng.m_state = state;
  return rng;
}

// xoshiro256** 1.0, transcribed from the reference implementation: output scrambler
// rotl(s1 * 5, 7) * 9, then the linear engine with shift 17 and rotation 45.
uint64_t Rng::next_u64() {
  auto& s = m_state;
  const uint64_t result = rotl(s[1] * 5, 7) * 9;
  const uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

uint64_t Rng::uniform_int(uint64_t n) {
  if (n == 0)
    throw std::invalid_argument("Rng::uniform_int: n must be positive");
  // 2^64 mod n, computed in 64-bit arithmetic as (2^64 - n) mod n. Raw values below it are
  // rejected, leaving a range whose size is a multiple of n, so `r % n` is exactly uniform.
  const uint64_t threshold = (0 - n) % n;
  for (;;) {
    const uint64_t r = next_u64();
    if (r >= threshold)
      return r % n;
  }
}

double Rng::uniform_double() {
  // 0x1.0p-53 == 2^-53, written as a product so the constant is exact on every compiler.
  return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0);
}

std::vector<int64_t> Rng::sample_without_replacement(int64_t pool_size, int64_t k) {
  if (k < 0 || pool_size < 0 || k > pool_size) {
    throw std::invalid_argument("Rng::sample_without_replacement: need 0 <= k <= pool_size, got k=" +
                                std::to_string(k) + ", pool_size=" + std::to_string(pool_size));
  }
  // Sparse partial Fisher–Yates: `moved` holds only the positions whose content differs from the
  // identity, so an MQAR key draw (k = 4 from 4095) costs O(k), not O(pool).
  std::unordered_map<int64_t, int64_t> moved;
  auto value_at = [&moved](int64_t i) {
    const auto it = moved.find(i);
    return it == moved.end() ? i : it->second;
  };
  std::vector<int64_t> out(static_cast<size_t>(k));
  for (int64_t i = 0; i < k; ++i) {
    const int64_t j = i + static_cast<int64_t>(uniform_int(static_cast<uint64_t>(pool_size - i)));
    const int64_t vi = value_at(i);
    const int64_t vj = value_at(j);
    out[static_cast<size_t>(i)] = vj;
    moved[j] = vi;  // position i is never read again
  }
  return out;
}

std::vector<int64_t> Rng::weighted_sample_without_replacement(const std::vector<double>& weights, int64_t k) {
  int64_t positive = 0;
  for (double w : weights) {
    if (!(w >= 0.0) || !std::isfinite(w)) {
      throw std::invalid_argument(
          "Rng::weighted_sample_without_replacement: weights must be finite and >= 0");
    }
    positive += w > 0.0 ? 1 : 0;
  }
  if (k < 0 || k > positive) {
    throw std::invalid_argument("Rng::weighted_sample_without_replacement: cannot draw " + std::to_string(k) +
                                " distinct indices from " + std::to_string(positive) + " positive weights");
  }
  std::vector<double> w = weights;
  std::vector<int64_t> out;
  out.reserve(static_cast<size_t>(k));
  for (int64_t draw = 0; draw < k; ++draw) {
    // Renormalising = comparing against u * total, with the total summed afresh in index order
    // (the same order numpy's cumsum uses), so no rounding drift accumulates across draws.
    double total = 0.0;
    for (double x : w)
      total += x;
    const double target = uniform_double() * total;
    // searchsorted(side="right"): the first index whose cumulative weight exceeds the target.
    // A zero weight never does (its cumulative sum equals the previous one). If rounding leaves the
    // target at or past the last cumulative sum, numpy would return n; we take the last positive
    // weight instead, which is what that probability-zero event means.
    double cumulative = 0.0;
    int64_t chosen = -1;
    int64_t last_positive = -1;
    for (size_t i = 0; i < w.size(); ++i) {
      if (w[i] <= 0.0)
        continue;
      last_positive = static_cast<int64_t>(i);
      cumulative += w[i];
      if (cumulative > target) {
        chosen = static_cast<int64_t>(i);
        break;
      }
    }
    if (chosen < 0)
      chosen = last_positive;
    out.push_back(chosen);
    w[static_cast<size_t>(chosen)] = 0.0;
  }
  return out;
}

}  // namespace zoolab
