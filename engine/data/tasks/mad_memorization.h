#pragma once

// MAD's memorization (mad-lab mad/data/instances.py generate_memorization_instance with the map of
// generate_kv_map), generated with our own RNG (engine/data/rng.h).

#include <cstdint>
#include <vector>

#include "engine/config/run_config.h"
#include "engine/data/task_registry.h"
#include "engine/data/token_segment.h"

namespace zoolab {

// The fixed key -> value map every segment of a run shares: value_of[k] for the keys k in [0, V'/2), with
// V' = vocab_size - 1 - noise_vocab_size; the values are distinct, in [V'/2, V'). Drawn from a stream seeded
// by kv_map_seed alone (never by a segment's seed). Requires V' >= 2.
std::vector<int64_t> memorization_kv_map(int64_t vocab_size, int64_t noise_vocab_size, uint64_t kv_map_seed);

// One memorization segment. Throws ConfigError when the shape is impossible (odd input_seq_len, no key
// left in the vocabulary, frac_noise > 0 without noise tokens).
TokenSegment generate_memorization(const SegmentConfig& config, int64_t vocab_size, uint64_t seed);

// The registry's entry for "memorization".
TaskSpec memorization_task_spec();

}  // namespace zoolab
