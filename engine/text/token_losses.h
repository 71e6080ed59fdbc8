#pragma once

// Per-token validation losses of a text run (issue 6): what the AR-hit analysis and the text inspector
// read. Text training stores one set per run at each validation, replacing the previous one, so the
// store always holds the newest. Blob: "ZTLS" | u32 version | u32 header bytes | header JSON {step,
// epoch, sequences, length, shards} | sequences · length records of (i32 token, f32 loss, u32
// train_count), little-endian. No torch, no Qt.

#include <cstdint>
#include <string>
#include <vector>

namespace zoolab {

inline constexpr uint32_t kTokenLossesVersion = 1;

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
// Throws std::runtime_error naming what is wrong (magic, version, truncation, header, sizes).
TokenLossSet decode_token_losses(const std::string& bytes);

}  // namespace zoolab
