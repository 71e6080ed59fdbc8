#pragma once

// What several task generators share: the checks a generator runs before it allocates, and Zoology's
// power-law weights of query gaps.

#include <cstdint>
#include <string>
#include <vector>

#include "common/param_spec.h"
#include "engine/config/run_config.h"
#include "engine/data/token_segment.h"

namespace zoolab {

class Rng;

// The checks a generator runs on a segment that did not come through parse_run_config (direct callers):
// the counts every segment has, the task's own shape check (`check_shape` with the path "segment") and the
// memory the segment's inputs and labels need (engine/util/memory_budget.h). Throws ConfigError.
void check_generated_segment(const SegmentConfig& segment, int64_t vocab_size,
                             void (*check_shape)(const SegmentConfig& segment, int64_t vocab_size,
                                                 const std::string& path));

// A segment of `segment.num_examples` examples of `segment.input_seq_len` tokens, every input `fill` and
// every label kIgnoreLabel, named by the segment's task: what a generator fills in. Call it after
// check_generated_segment, which bounded its N·L·16 bytes by the memory budget.
TokenSegment empty_token_segment(const SegmentConfig& segment, int64_t fill);

// Query-gap probabilities of Zoology's MQAR generators (docs/reference.md#mqar-generator, step 4):
// p_i = a·i^(a-1) for i = 1..space, normalised; gap g has probability p_{g+1}. With a = 0.01 this is nearly
// 1/i, so queries cluster right after the context. Throws ConfigError at `path`.power_a when the weights
// are not finite.
std::vector<double> power_law_gap_weights(int64_t space, double power_a, const std::string& path = "segment");

// Zoology's first two asserts in its MQAR generators: input_seq_len is positive and even (keys and queries
// come in pairs) and below data.vocab_size. Throws ConfigError at path.input_seq_len.
void require_even_length_below_vocab(const SegmentConfig& segment, int64_t vocab_size,
                                     const std::string& path);

// The parameters Zoology's MQAR generators share, with MQAR's defaults and docs: power_a (0.01) and
// random_non_queries (true).
ParamSpec power_a_param();
ParamSpec random_non_queries_param();

// Zoology's random fill of its MQAR generators: every input token equal to 0 becomes a uniform token in
// [0, V) (which may coincide with a key, a value or 0). Zoology draws these from the global torch RNG; we
// continue the segment's own stream after all structural draws, so the same seed gives the same keys,
// values and query positions with or without the fill.
void fill_zero_tokens_uniformly(TokenSegment& segment, Rng& rng, int64_t vocab_size);

// Throws ConfigError at path.key unless `value` > 0 (power_a: the spec's bound is inclusive).
void require_positive(double value, const std::string& path, const std::string& key);

}  // namespace zoolab
