#pragma once

// One 64-bit hash-map key for an ordered pair of token ids (left in the high half, right in the low
// half), shared by the BPE tokenizer's merge table, the BPE trainer's pair counts and the AR-hit
// classification's seen bigrams. Negative ids keep their 32-bit pattern, so every pair has its own key.
// (The .zbg bigram file keys records by previous · vocab_size + token instead: see bigram_counts.h.)

#include <cstdint>

namespace zoolab {

inline uint64_t pair_key(int32_t left, int32_t right) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
}

}  // namespace zoolab
