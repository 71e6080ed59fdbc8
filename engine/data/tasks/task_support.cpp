#include "engine/data/tasks/task_support.h"

#include <cmath>

#include "engine/config/run_memory.h"
#include "engine/data/rng.h"
#include "engine/util/checked_size.h"
#include "engine/util/memory_budget.h"

namespace zoolab {

void check_generated_segment(const SegmentConfig& segment, int64_t vocab_size,
                             void (*check_shape)(const SegmentConfig& segment, int64_t vocab_size,
                                                 const std::string& path)) {
  if (segment.input_seq_len <= 0) {
    throw ConfigError("segment.input_seq_len",
                      "must be positive, got " + std::to_string(segment.input_seq_len));
  }
  if (segment.num_examples < 0) {
    throw ConfigError("segment.num_examples",
                      "must be non-negative, got " + std::to_string(segment.num_examples));
  }
  if (vocab_size <= 0) {
    throw ConfigError("data.vocab_size", "must be positive, got " + std::to_string(vocab_size));
  }
  check_shape(segment, vocab_size, "segment");
  if (const auto shortfall = memory_shortfall(segment_bytes(segment))) {
    throw ConfigError("segment.num_examples",
                      std::to_string(segment.num_examples) + " examples of " +
                          std::to_string(segment.input_seq_len) +
                          " tokens: holding their inputs and labels (8 bytes a token) " + *shortfall);
  }
}

TokenSegment empty_token_segment(const SegmentConfig& segment, int64_t fill) {
  TokenSegment out;
  out.task = segment.task;
  out.num_examples = segment.num_examples;
  out.seq_len = segment.input_seq_len;
  const auto tokens = static_cast<size_t>(segment.num_examples) * static_cast<size_t>(segment.input_seq_len);
  out.inputs.assign(tokens, fill);
  out.labels.assign(tokens, kIgnoreLabel);
  return out;
}

// std::pow is within an ulp on common libms; a one-ulp difference changes a draw only if the uniform lands
// on that ulp.
std::vector<double> power_law_gap_weights(int64_t space, double power_a, const std::string& path) {
  std::vector<double> p(static_cast<size_t>(space));
  double total = 0.0;
  for (int64_t i = 1; i <= space; ++i) {
    p[static_cast<size_t>(i - 1)] = power_a * std::pow(static_cast<double>(i), power_a - 1.0);
    total += p[static_cast<size_t>(i - 1)];
  }
  if (!std::isfinite(total) || !(total > 0.0)) {
    throw ConfigError(path + ".power_a", "gives non-finite query-gap weights over " + std::to_string(space) +
                                             " gaps, got " + std::to_string(power_a));
  }
  for (double& x : p)
    x /= total;
  return p;
}

void require_even_length_below_vocab(const SegmentConfig& segment, int64_t vocab_size,
                                     const std::string& path) {
  const int64_t L = segment.input_seq_len;
  if (L <= 0 || L % 2 != 0) {
    throw ConfigError(
        path + ".input_seq_len",
        "must be a positive even number (keys and queries come in pairs), got " + std::to_string(L));
  }
  if (vocab_size <= L) {
    throw ConfigError(
        path + ".input_seq_len",
        "must be less than data.vocab_size (" + std::to_string(vocab_size) + "), got " + std::to_string(L));
  }
}

ParamSpec power_a_param() {
  return ParamSpec::number("power_a").defaults_to(0.01).at_least(0).described(
      "power-law exponent of the query gaps (> 0; 1 is uniform, small values put queries right after the "
      "context)");
}

ParamSpec random_non_queries_param() {
  return ParamSpec::boolean("random_non_queries")
      .defaults_to(true)
      .described("fill the positions that are neither context nor query with uniform tokens");
}

void fill_zero_tokens_uniformly(TokenSegment& segment, Rng& rng, int64_t vocab_size) {
  for (auto& token : segment.inputs) {
    if (token == 0) {
      token = static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(vocab_size)));
    }
  }
}

void require_positive(double value, const std::string& path, const std::string& key) {
  if (!(value > 0.0)) {
    throw ConfigError(path + "." + key, "must be > 0, got " + std::to_string(value));
  }
}

}  // namespace zoolab
