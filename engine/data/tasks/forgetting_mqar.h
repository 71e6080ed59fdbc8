#pragma once

// Forgetting MQAR (docs/tasks.md#forgetting_mqar), generated exactly as Zoology's `forgetting_mqar`
// (zoology/data/forgetting_mqar.py) does, with our own RNG (engine/data/rng.h) instead of numpy's: MQAR's
// key-value context followed by `num_updates` pairs that give some of its keys a new value; every key is
// queried once and the label is its latest value.

#include <cstdint>
#include <vector>

#include "engine/config/run_config.h"
#include "engine/data/query_facts.h"
#include "engine/data/task_registry.h"
#include "engine/data/token_segment.h"

namespace zoolab {

// Generates one forgetting-MQAR segment. Throws ConfigError if the shape is impossible (odd length,
// data.vocab_size <= input_seq_len, num_updates > num_kv_pairs, 2·(kv + updates) + 2·kv > input_seq_len,
// too few keys or values).
TokenSegment generate_forgetting_mqar(const SegmentConfig& config, int64_t vocab_size, uint64_t seed);

// The query facts of one example: the source is the latest context slot that stores the query's key with
// the label as its value (the update when the key was updated), kv_index that slot (0..kv-1 the original
// pairs, kv.. the updates). Needs the slices num_kv_pairs and num_updates.
std::vector<QueryFacts> forgetting_mqar_query_facts(const int64_t* inputs, const int64_t* labels,
                                                    int64_t seq_len, const Slices& slices);

// The registry's entry for "forgetting_mqar".
TaskSpec forgetting_mqar_task_spec();

}  // namespace zoolab
