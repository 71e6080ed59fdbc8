#pragma once

// Learns a byte-level BPE vocabulary from text (docs/architecture.md#text-pipeline), the way GPT-2's was
// learned: the text is pre-tokenized with GPT-2's pattern (pretokenizer.h), the pieces are counted, and the
// most frequent adjacent pair of tokens is merged until the vocabulary has the requested size. Ids: 0..255
// are the single bytes (id = byte value), then one id per new token in merge order, and "<|endoftext|>" last.
// Pair counts are kept up to date incrementally (only the words holding the merged pair are revisited),
// so a 4096-token vocabulary on a few megabytes of text takes seconds. No torch, no Qt.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/text/byte_level_bpe.h"

namespace zoolab {

struct BpeTrainerOptions {
  int64_t vocab_size = 4096;  // including the 256 bytes and "<|endoftext|>"; at least 257
  // Called every `progress_every` merges with (tokens so far, vocab_size); may be empty.
  std::function<void(int64_t, int64_t)> progress;
  int64_t progress_every = 256;
};

class BpeTrainer {
 public:
  explicit BpeTrainer(BpeTrainerOptions options);  // throws std::invalid_argument for vocab_size < 257
  ~BpeTrainer();

  // Counts the pieces of one document; call once per document (pieces never span two calls).
  void add_text(std::string_view text);
  int64_t words_seen() const;    // pieces counted so far
  int64_t unique_words() const;  // distinct pieces

  // Learns the merges. Ties between equally frequent pairs go to the smaller (left id, right id), so
  // the result depends only on the counted text. The vocabulary is smaller than requested when no pair
  // is left to merge (a tiny corpus); `vocab_size()` of the result says so. Call once.
  BpeTokenizer train();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace zoolab
