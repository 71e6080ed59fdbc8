#pragma once

// Per-token validation losses of a text run: what the AR-hit analysis and the text inspector read. Text
// training stores one set per run at each validation, replacing the previous one, so the store always
// holds the newest. Blob: the text pipeline's header (file_header.h: magic "ZTLS", version, checksums of
// header and records) with the JSON {step, epoch, sequences, length, shards}, then sequences · length
// records of (i32 token, f32 loss, u32 train_count), little-endian. Version 1 blobs (no checksums, in
// databases written before version 2) are still read. No torch, no Qt.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zoolab {

inline constexpr uint32_t kTokenLossesVersion = 2;

// `sequences` fixed validation sequences of `length` tokens (the model's context + 1), row-major.
// Position i >= 1 of a sequence holds the loss of predicting tokens[i] from tokens[0..i) and the
// training count of the bigram (tokens[i-1], tokens[i]); position 0 has no prediction (loss NaN, count 0).
struct TokenLossSet {
  int64_t step = 0;
  int64_t epoch = 0;
  int64_t sequences = 0;
  int64_t length = 0;
  std::string shards;                  // the shards folder of the run (its tokenizer.json decodes the tokens)
  std::vector<int32_t> tokens;         // (sequences · length)
  std::vector<float> losses;           // (sequences · length), nats
  std::vector<uint32_t> train_counts;  // (sequences · length), saturating at UINT32_MAX
};

std::string encode_token_losses(const TokenLossSet& set);
// Throws InputError naming what is wrong (magic, version, checksum, truncation, header field, sizes);
// never reads outside `bytes`. The torch-free entry point for fuzzing.
TokenLossSet decode_token_losses(std::string_view bytes);

}  // namespace zoolab
