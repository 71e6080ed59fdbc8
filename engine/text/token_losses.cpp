// The "ZTLS" blob of per-token validation losses (engine/text/token_losses.h). Same layout rules as the
// query-record blob (engine/inspect/query_records.cpp): magic, version, a JSON header for the few
// scalar fields (the text pipeline's shared header, engine/text/file_header.h), then fixed-width
// little-endian records, so a blob written on one machine reads on any.

#include "engine/text/token_losses.h"

#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/store/little_endian.h"
#include "engine/text/file_header.h"

namespace zoolab {

namespace {

constexpr char kMagic[4] = {'Z', 'T', 'L', 'S'};
constexpr size_t kRecordBytes = 12;  // i32 token, f32 loss, u32 train_count

using little_endian::get;
using little_endian::put;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("token losses: " + what);
}

// Number of records of a set, refusing shapes whose byte size would not fit in memory anyway.
size_t record_count(int64_t sequences, int64_t length) {
  if (sequences < 0 || length < 0) {
    fail("negative shape (" + std::to_string(sequences) + " sequences of " + std::to_string(length) +
         " tokens)");
  }
  const auto limit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / kRecordBytes;
  if (length > 0 && static_cast<uint64_t>(sequences) > limit / static_cast<uint64_t>(length)) {
    fail("shape too large (" + std::to_string(sequences) + " sequences of " + std::to_string(length) +
         " tokens)");
  }
  return static_cast<size_t>(sequences * length);
}

}  // namespace

std::string encode_token_losses(const TokenLossSet& set) {
  const size_t count = record_count(set.sequences, set.length);
  if (set.tokens.size() != count || set.losses.size() != count || set.train_counts.size() != count) {
    fail(std::to_string(set.sequences) + " sequences of " + std::to_string(set.length) + " tokens need " +
         std::to_string(count) + " values each, got " + std::to_string(set.tokens.size()) + " tokens, " +
         std::to_string(set.losses.size()) + " losses, " + std::to_string(set.train_counts.size()) +
         " training counts (the caller built an inconsistent TokenLossSet)");
  }
  const nlohmann::json header_json = {{"step", set.step},
                                      {"epoch", set.epoch},
                                      {"sequences", set.sequences},
                                      {"length", set.length},
                                      {"shards", set.shards}};
  // Invalid UTF-8 in the shards path is replaced rather than thrown on: the path is only a hint. (Dumped
  // and parsed back, so the shared header writer gets JSON that dumps to the same text.)
  const auto header =
      nlohmann::json::parse(header_json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  std::string out = encode_file_header(kMagic, kTokenLossesVersion, header);
  out.reserve(out.size() + count * kRecordBytes);
  for (size_t i = 0; i < count; ++i) {
    put(out, set.tokens[i]);
    put(out, set.losses[i]);
    put(out, set.train_counts[i]);
  }
  return out;
}

TokenLossSet decode_token_losses(const std::string& bytes) {
  // The blob lives in the run database, not in a file: the shared header reader names it "blob".
  const auto decoded =
      decode_file_header(bytes.data(), bytes.size(), kMagic, kTokenLossesVersion, "blob", "token losses");
  TokenLossSet set;
  try {
    const auto& header = decoded.header;
    set.step = header.at("step").get<int64_t>();
    set.epoch = header.at("epoch").get<int64_t>();
    set.sequences = header.at("sequences").get<int64_t>();
    set.length = header.at("length").get<int64_t>();
    set.shards = header.at("shards").get<std::string>();
  } catch (const nlohmann::json::exception& error) {
    fail(std::string("unreadable header: ") + error.what());
  }
  const size_t count = record_count(set.sequences, set.length);
  const auto offset = static_cast<size_t>(decoded.data_offset);
  const size_t remaining = bytes.size() - offset;
  if (remaining / kRecordBytes != count || remaining % kRecordBytes != 0) {
    fail(std::to_string(set.sequences) + " sequences of " + std::to_string(set.length) + " tokens need " +
         std::to_string(count * kRecordBytes) + " bytes of records, the blob has " +
         std::to_string(remaining) +
         (remaining < count * kRecordBytes ? " (truncated)" : " (trailing bytes)"));
  }
  set.tokens.resize(count);
  set.losses.resize(count);
  set.train_counts.resize(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t at = offset + i * kRecordBytes;
    set.tokens[i] = get<int32_t>(bytes, at);
    set.losses[i] = get<float>(bytes, at + 4);
    set.train_counts[i] = get<uint32_t>(bytes, at + 8);
  }
  return set;
}

}  // namespace zoolab
