#pragma once

// MAD's selective copying (mad-lab mad/data/instances.py generate_selective_copying_instance, i.e.
// generate_copying_instance with selective=True), generated with our own RNG (engine/data/rng.h).

#include <cstdint>
#include <vector>

#include "engine/config/run_config.h"
#include "engine/data/query_facts.h"
#include "engine/data/task_registry.h"
#include "engine/data/token_segment.h"

namespace zoolab {

// One selective-copying segment. Throws ConfigError when the shape is impossible (input_seq_len <=
// 2·num_tokens_to_copy + 1, data.vocab_size < 3).
TokenSegment generate_selective_copying(const SegmentConfig& config, int64_t vocab_size, uint64_t seed);

// The source of the i-th labelled position is the position of the i-th token that is not a blank before the
// copy token (the token to copy, where it was shown). The copy token sits right before the first labelled
// position and the blank is the input at the labelled positions; kv_index is i.
std::vector<QueryFacts> selective_copying_query_facts(const int64_t* inputs, const int64_t* labels,
                                                      int64_t seq_len, const Slices& slices);

// The registry's entry for "selective_copying".
TaskSpec selective_copying_task_spec();

}  // namespace zoolab
