#pragma once

// The batches of a text run (docs/architecture.md#text-pipeline): contiguous windows of context_length + 1
// tokens from a token shard; the model reads window[:-1] and predicts window[1:] at every position.
//
// Training windows start at multiples of context_length (consecutive windows share one token, so every
// token of the shard is a target once per pass). The stream of training samples visits them in passes:
// pass p is a permutation of all windows drawn from (data.seed, p), so sample s, and with it the
// batch of any step, is a function of the seed alone: a resumed run sees the same data in the same order.
// Validation uses `sequences` fixed windows, evenly spaced over valid.ztok and non-overlapping.

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

#include "engine/text/token_shards.h"

namespace zoolab {

struct TextBatch {
  torch::Tensor inputs;   // (B, L) int64: window[:-1]
  torch::Tensor targets;  // (B, L) int64: window[1:]
};

// The shuffled order of a shard's training windows.
class TextWindowOrder {
 public:
  // Throws std::runtime_error naming the shard when it holds fewer than context_length + 1 tokens.
  TextWindowOrder(int64_t shard_tokens, int64_t context_length, uint64_t seed, const std::string& shard_path);
  int64_t windows() const { return m_windows; }
  // The first token of the window of training sample `sample` (0-based over the whole run).
  int64_t start(int64_t sample);

 private:
  int64_t m_windows = 0;
  int64_t m_context_length = 0;
  uint64_t m_seed = 0;
  int64_t m_pass = -1;  // the pass whose permutation m_order holds
  std::vector<int64_t> m_order;
};

// The starts of `sequences` evenly spaced, non-overlapping windows of `length` tokens over a shard of
// `shard_tokens` tokens (sequence k starts at k · floor(shard_tokens / sequences)). Throws naming
// data.text.valid_sequences and the shard when they do not fit.
std::vector<int64_t> validation_starts(int64_t shard_tokens, int64_t sequences, int64_t length,
                                       const std::string& shard_path);

// Reads the windows of context_length + 1 tokens at `starts` into one batch on `device`.
TextBatch read_text_batch(const TokenShard& shard, const std::vector<int64_t>& starts, int64_t context_length,
                          const torch::Device& device);

// The training batch of `step` (0-based): samples [step · batch_size, (step + 1) · batch_size).
TextBatch training_batch(const TokenShard& shard, TextWindowOrder& order, int64_t step, int64_t batch_size,
                         int64_t context_length, const torch::Device& device);

}  // namespace zoolab
