#pragma once

// Token shards: what `zoolab-cli data tokenize` writes and text training reads. A shards folder holds
//   train.ztok, valid.ztok   the two splits: documents' tokens, each document followed by end-of-text
//   bigrams.zbg              the count of every bigram (previous token, token) of the training split
//   tokenizer.json           the tokenizer that made them (the views decode tokens with it)
//   manifest.json            corpus, tokenizer, counts, throughput (for people; readers use the headers)
// A .ztok file is the text pipeline's header (file_header.h: magic "ZTOK", version, checksums of header
// and tokens) with the JSON {vocab_size, dtype ("uint16" or "uint32"), tokens, documents, end_of_text},
// then the tokens little-endian, from byte 256. Files larger than memory are read through mmap; opening
// one reads it once to verify its checksum (CRC-32C, docs/formats.md: about a second per GB on a busy
// 2-core machine). Version 1 (no checksums) is refused: re-run `zoolab-cli data tokenize`. No torch, no Qt.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zoolab {

inline constexpr uint32_t kTokenShardVersion = 2;

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

// Where the tokens of a .ztok file are and what they are.
struct TokenShardLayout {
  TokenShardInfo info;
  uint64_t data_offset = 0;  // of the first token
  int64_t width = 2;         // bytes a token
};

// Checks a whole .ztok file held in `bytes` (magic, version, both checksums, every header field, the
// size of the tokens against the header's count) and says where its tokens are. Throws InputError
// naming `path` and the field; never reads outside `bytes`. The torch-free entry point for fuzzing.
TokenShardLayout parse_token_shard(std::string_view bytes, const std::string& path);

// A read-only view of a .ztok file. Throws InputError naming the file on anything parse_token_shard
// refuses, std::runtime_error when the file cannot be opened or mapped.
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
