#pragma once

// MAD's three recall tasks (docs/tasks.md), generated as mad-lab's mad/data/instances.py does
// (generate_in_context_recall_instance, generate_noisy_in_context_recall_instance,
// generate_fuzzy_in_context_recall_instance), with our own RNG (engine/data/rng.h): one stream per segment,
// drawn example by example, where MAD hands one numpy Generator to every instance of a dataset.
//
// MAD's seq_len is our input_seq_len and MAD's vocab_size our data.vocab_size. A row holds MAD's raw
// sequence from its start, input_seq_len tokens, and the label at position p is MAD's target of raw token
// p + 1 (MAD returns raw[:-1] with the shifted targets). Where MAD's raw sequence has only input_seq_len
// tokens (in-context recall with multi_query), MAD's examples are one token shorter than ours: our last
// position holds the probe's value and is unlabelled, so a causal model sees and is scored on exactly
// MAD's example.

#include <cstdint>
#include <vector>

#include "engine/config/run_config.h"
#include "engine/data/query_facts.h"
#include "engine/data/task_registry.h"
#include "engine/data/token_segment.h"

namespace zoolab {

// How MAD splits data.vocab_size for a segment: keys [0, key_vocab_size), values [key_vocab_size,
// key_vocab_size + value_vocab_size), noise [noise_base, noise_base + noise_vocab_size) above them, then
// the special tokens (-1 where the task has none).
struct MadRecallLayout {
  int64_t key_vocab_size = 0;
  int64_t value_vocab_size = 0;
  int64_t noise_base = 0;  // MAD's non_special_vocab_size
  int64_t noise_vocab_size = 0;
  int64_t copy_prefix = -1;  // vocab_size - 1 without multi_query
  int64_t pad_token = -1;    // fuzzy only: vocab_size - 1 with multi_query, else vocab_size - 2
};

// The layout of a segment of one of the three tasks (no checks; check_shape reports impossible ones).
MadRecallLayout mad_recall_layout(const SegmentConfig& segment, int64_t vocab_size);

// The segments (each runs the task's check_shape first and throws ConfigError).
TokenSegment generate_in_context_recall(const SegmentConfig& segment, int64_t vocab_size, uint64_t seed);
TokenSegment generate_noisy_in_context_recall(const SegmentConfig& segment, int64_t vocab_size,
                                              uint64_t seed);
TokenSegment generate_fuzzy_in_context_recall(const SegmentConfig& segment, int64_t vocab_size,
                                              uint64_t seed);

// The query-fact rule of the three tasks. A labelled position p whose target is a value token and whose
// token ends a key motif or lies inside the value motif after it asks for the next token of that value;
// its source is the same offset in the latest earlier presentation of that key motif (the whole maximal
// run of key tokens) followed by the same value tokens up to p and the target, so that the token after
// key_position is the target. Other labelled positions (every next token of an is_training example: keys,
// noise, padding) and first presentations have no source. Needs the slices key_vocab_size and
// value_vocab_size; with single-token motifs it is latest_pair_query_facts restricted to value targets.
std::vector<QueryFacts> mad_recall_query_facts(const int64_t* inputs, const int64_t* labels, int64_t seq_len,
                                               const Slices& slices);

// The registry's entries.
TaskSpec in_context_recall_task_spec();
TaskSpec noisy_in_context_recall_task_spec();
TaskSpec fuzzy_in_context_recall_task_spec();

}  // namespace zoolab
