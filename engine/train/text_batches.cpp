#include "engine/train/text_batches.h"

#include <numeric>
#include <stdexcept>
#include <utility>

#include <torch/torch.h>

#include "engine/data/rng.h"

namespace zoolab {

TextWindowOrder::TextWindowOrder(int64_t shard_tokens, int64_t context_length, uint64_t seed,
                                 const std::string& shard_path)
    : m_windows(shard_tokens > context_length ? (shard_tokens - 1) / context_length : 0),
      m_context_length(context_length),
      m_seed(seed) {
  if (m_windows < 1) {
    throw std::runtime_error(shard_path + " has " + std::to_string(shard_tokens) +
                             " tokens, fewer than data.text.context_length + 1 (" +
                             std::to_string(context_length + 1) +
                             "); tokenize a larger corpus or lower data.text.context_length");
  }
}

int64_t TextWindowOrder::start(int64_t sample) {
  const int64_t pass = sample / m_windows;
  if (pass != m_pass) {
    // One stream per pass: the pass mixed into the seed with the odd multiplier of PCG's LCG, then a
    // SplitMix64 step, as the MQAR shuffle does (batches.cpp); a 10-billion-token shard of 1024-token
    // windows makes a permutation of 10M entries (80 MB), drawn once per pass.
    uint64_t state = m_seed ^ (0x5851f42d4c957f2dULL * static_cast<uint64_t>(pass + 1));
    // The dense Fisher–Yates shuffle, which gives what Rng::sample_without_replacement(n, n) gives
    // (rng.h) without its hash map: a vector swap per window.
    Rng rng(splitmix64_next(state));
    m_order.resize(static_cast<size_t>(m_windows));
    std::iota(m_order.begin(), m_order.end(), int64_t{0});
    for (int64_t i = 0; i < m_windows; ++i) {
      const auto j = i + static_cast<int64_t>(rng.uniform_int(static_cast<uint64_t>(m_windows - i)));
      std::swap(m_order[static_cast<size_t>(i)], m_order[static_cast<size_t>(j)]);
    }
    m_pass = pass;
  }
  return m_order[static_cast<size_t>(sample % m_windows)] * m_context_length;
}

std::vector<int64_t> validation_starts(int64_t shard_tokens, int64_t sequences, int64_t length,
                                       const std::string& shard_path) {
  const int64_t stride = sequences > 0 ? shard_tokens / sequences : 0;
  if (stride < length) {
    throw std::runtime_error("data.text.valid_sequences: " + std::to_string(sequences) + " windows of " +
                             std::to_string(length) + " tokens (context_length + 1) need " +
                             std::to_string(sequences * length) + " tokens, but " + shard_path + " has " +
                             std::to_string(shard_tokens) +
                             "; lower data.text.valid_sequences or hold out more validation text");
  }
  std::vector<int64_t> starts(static_cast<size_t>(sequences));
  for (int64_t k = 0; k < sequences; ++k) {
    starts[static_cast<size_t>(k)] = k * stride;
  }
  return starts;
}

TextBatch read_text_batch(const TokenShard& shard, const std::vector<int64_t>& starts, int64_t context_length,
                          const torch::Device& device) {
  const auto rows = static_cast<int64_t>(starts.size());
  const int64_t length = context_length + 1;
  auto windows = torch::empty({rows, length}, torch::kLong);  // (B, L + 1)
  auto* data = windows.data_ptr<int64_t>();
  for (int64_t row = 0; row < rows; ++row) {
    shard.read(starts[static_cast<size_t>(row)], length, data + row * length);
  }
  TextBatch batch;
  batch.inputs = windows.narrow(1, 0, context_length).contiguous().to(device);   // (B, L)
  batch.targets = windows.narrow(1, 1, context_length).contiguous().to(device);  // (B, L)
  return batch;
}

TextBatch training_batch(const TokenShard& shard, TextWindowOrder& order, int64_t step, int64_t batch_size,
                         int64_t context_length, const torch::Device& device) {
  std::vector<int64_t> starts(static_cast<size_t>(batch_size));
  for (int64_t row = 0; row < batch_size; ++row) {
    starts[static_cast<size_t>(row)] = order.start(step * batch_size + row);
  }
  return read_text_batch(shard, starts, context_length, device);
}

}  // namespace zoolab
