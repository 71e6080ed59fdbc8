#pragma once

// Multi-query associative recall (docs/reference.md#mqar-generator), generated exactly as Zoology's
// `multiquery_ar` does, with our own documented RNG (engine/data/rng.h) instead of numpy's.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/config/run_config.h"

namespace zoolab {

inline constexpr int64_t kIgnoreLabel = -100;

// N examples of one segment, row-major (N, L). Labels are kIgnoreLabel except at query positions.
struct TokenSegment {
  int64_t num_examples = 0;
  int64_t seq_len = 0;
  std::vector<int64_t> inputs;  // (N, L)
  std::vector<int64_t> labels;  // (N, L)
  // Slice values attached to every example of the segment, e.g. {"num_kv_pairs": 4,
  // "input_seq_len": 64, "num_passes": 1}; used for per-slice accuracy.
  std::map<std::string, int64_t> slices;
};

// Generates one MQAR segment. Throws ConfigError if the shape is impossible (odd length,
// vocab_size <= input_seq_len, 2·kv·passes + 2·kv > input_seq_len, too few keys or values).
TokenSegment generate_mqar(const SegmentConfig& config, int64_t vocab_size, uint64_t seed);

// Per-segment seeds (train and test drawn from disjoint ranges, as Zoology's prepare_data does).
struct SegmentSeeds {
  std::vector<uint64_t> train;
  std::vector<uint64_t> test;
};
SegmentSeeds segment_seeds(const DataConfig& data);

}  // namespace zoolab
