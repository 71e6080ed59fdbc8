#pragma once

// Compositional MQAR (docs/tasks.md#compositional_mqar), generated exactly as Zoology's `compositional_mqar`
// (zoology/data/compositional_mqar.py) does, with our own RNG (engine/data/rng.h) instead of numpy's: keys
// are pairs (K1, K2) forming a full g×g grid (g² = num_kv_pairs), so neither half alone determines the value;
// every pair is queried once and the label sits on the query's K2.

#include <cstdint>
#include <vector>

#include "engine/config/run_config.h"
#include "engine/data/query_facts.h"
#include "engine/data/task_registry.h"
#include "engine/data/token_segment.h"

namespace zoolab {

// Generates one compositional-MQAR segment. Throws ConfigError if the shape is impossible (odd length,
// data.vocab_size <= input_seq_len, 6·kv > input_seq_len, kv not a perfect square, too few tokens in a
// third of the vocabulary).
TokenSegment generate_compositional_mqar(const SegmentConfig& config, int64_t vocab_size, uint64_t seed);

// The query facts of one example: the source is the K2 of the context triple (K1 K2 V) whose K1 and K2
// the query (K1 at position - 1, K2 at the labelled position) repeats and whose value is the label; the
// next token there is the target. kv_index is the triple's index. Needs the slice num_kv_pairs.
std::vector<QueryFacts> compositional_mqar_query_facts(const int64_t* inputs, const int64_t* labels,
                                                       int64_t seq_len, const Slices& slices);

// The registry's entry for "compositional_mqar".
TaskSpec compositional_mqar_task_spec();

}  // namespace zoolab
