#pragma once

// Token shards (DESIGN §7): what `zoolab-cli data tokenize` writes and text training reads. A shards
// folder holds
//   train.ztok, valid.ztok   the two splits: documents' tokens, each document followed by end-of-text
//   bigrams.zbg              the count of every bigram (previous token, token) of the training split
//   tokenizer.json           the tokenizer that made them (the views decode tokens with it)
//   manifest.json            corpus, tokenizer, counts, throughput (for people; readers use the headers)
// A .ztok file is "ZTOK" | u32 version | u32 header bytes | header JSON {vocab_size, dtype ("uint16" or
// "uint32"), tokens, documents, end_of_text} | tokens little-endian. Files larger than memory are read
// through mmap. No torch, no Qt.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace zoolab {

inline constexpr uint32_t kTokenShardVersion = 1;

struct TokenShardInfo {
  int64_t vocab_size = 0;
  std::string dtype;  // "uint16" when vocab_size <= 65536, else "uint32"
  int64_t tokens = 0;
  int64_t documents = 0;
  int64_t end_of_text = -1;  // the separator token, -1 if none
};

// Streams tokens to a .ztok file; the header is rewritten with the counts by finish().
class TokenShardWriter {
 public:
  TokenShardWriter(const std::string& path, int64_t vocab_size, int64_t end_of_text);
  ~TokenShardWriter();
  void add_document(const std::vector<int32_t>& tokens);  // appends end_of_text after it when >= 0
  TokenShardInfo finish();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// A read-only view of a .ztok file. Throws std::runtime_error naming the file on a bad magic, version,
// dtype or a size that does not match the header.
class TokenShard {
 public:
  explicit TokenShard(const std::string& path);
  ~TokenShard();
  TokenShard(TokenShard&&) noexcept;
  const TokenShardInfo& info() const;
  int64_t size() const;  // tokens
  // Copies tokens [offset, offset + count) into `out` (throws if the range leaves the file).
  void read(int64_t offset, int64_t count, int64_t* out) const;
  const std::string& path() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// The paths of a shards folder's files.
struct ShardsFolder {
  std::string train, valid, bigrams, tokenizer, manifest;
};
ShardsFolder shards_folder(const std::string& dir);

}  // namespace zoolab
