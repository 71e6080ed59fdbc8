#pragma once

// Multi-query associative recall (docs/reference.md#mqar-generator), generated exactly as Zoology's
// `multiquery_ar` does, with our own documented RNG (engine/data/rng.h) instead of numpy's.

#include <cstdint>
#include <vector>

#include "engine/config/run_config.h"
#include "engine/data/task_registry.h"
#include "engine/data/token_segment.h"

namespace zoolab {

// Generates one MQAR segment. Throws ConfigError if the shape is impossible (odd length,
// vocab_size <= input_seq_len, 2·kv·passes + 2·kv > input_seq_len, too few keys or values).
TokenSegment generate_mqar(const SegmentConfig& config, int64_t vocab_size, uint64_t seed);

// The registry's entry for "mqar".
TaskSpec mqar_task_spec();

// Per-segment seeds (train and test drawn from disjoint ranges, as Zoology's prepare_data does).
struct SegmentSeeds {
  std::vector<uint64_t> train;
  std::vector<uint64_t> test;
};
SegmentSeeds segment_seeds(const DataConfig& data);

}  // namespace zoolab
