#pragma once

// Byte-level BPE (GPT-2; docs/architecture.md#text-pipeline): text is split by GPT-2's
// pre-tokenisation pattern, each piece's UTF-8 bytes are mapped to GPT-2's printable byte alphabet and
// merged by rank. Loads GPT-2's `encoder.json` + `vocab.bpe` or a Hugging Face `tokenizer.json` (BPE
// model, ByteLevel pre-tokenizer) and writes the latter. Its ids equal GPT-2's reference tokenizer's
// (tests/engine/text/test_bpe_parity.cpp). No torch, no Qt.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace zoolab {

// GPT-2's end-of-text token, the one special token zoolab's vocabularies have.
inline constexpr char kEndOfText[] = "<|endoftext|>";

class BpeTokenizer {
 public:
  // A tokenizer.json file, or a folder holding encoder.json and vocab.bpe (or only a tokenizer.json, as
  // a shards folder does); each file may be zstd-compressed (name + ".zst"). Throws std::runtime_error
  // naming the file and what is wrong (missing file, not BPE, a merge whose parts are not tokens...).
  static BpeTokenizer load(const std::string& path);
  static BpeTokenizer from_gpt2_files(const std::string& encoder_json, const std::string& vocab_bpe);
  static BpeTokenizer from_tokenizer_json(const std::string& path);

  // `vocab`: token id → token in GPT-2's byte alphabet; `merges` in rank order, each "left right";
  // `special_tokens` missing from `vocab` get the next ids (saved as added_tokens).
  BpeTokenizer(std::vector<std::string> vocab, std::vector<std::pair<std::string, std::string>> merges,
               std::vector<std::string> special_tokens = {});
  ~BpeTokenizer();
  BpeTokenizer(BpeTokenizer&&) noexcept;
  BpeTokenizer& operator=(BpeTokenizer&&) noexcept;

  // Thread-safe without a lock: each thread keeps its own bounded per-word cache for this tokenizer.
  // Bytes that are not UTF-8 are encoded too.
  std::vector<int32_t> encode(std::string_view text) const;   // special tokens are not parsed in text
  std::string decode(const std::vector<int32_t>& ids) const;  // bytes, possibly invalid UTF-8 if cut
  std::string token_bytes(int32_t id) const;                  // what one token decodes to
  int64_t vocab_size() const;
  std::optional<int32_t> end_of_text() const;  // "<|endoftext|>" when the vocabulary has it

  // Writes a Hugging Face tokenizer.json (model BPE, ByteLevel pre-tokenizer and decoder).
  void save_json(const std::string& path) const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// `bytes` written in GPT-2's printable byte alphabet (encoder.py's bytes_to_unicode), as vocabulary
// files spell tokens; the trainer uses it to write what it learned.
std::string bytes_to_gpt2_alphabet(std::string_view bytes);

}  // namespace zoolab
