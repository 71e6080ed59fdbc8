// The "ZTLS" blob of per-token validation losses (engine/text/token_losses.h). Same layout rules as the
// query-record blob (engine/inspect/query_records.cpp): magic, version, a JSON header for the few
// scalar fields (the text pipeline's shared header, engine/text/file_header.h), then fixed-width
// little-endian records, so a blob written on one machine reads on any.

#include "engine/text/token_losses.h"

#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/formats/crc32c.h"
#include "engine/formats/header_fields.h"
#include "engine/store/little_endian.h"
#include "engine/text/file_header.h"
#include "engine/util/checked_size.h"
#include "engine/util/input_error.h"

namespace zoolab {

namespace {

constexpr FileFormat kTokenLossesFormat{"ZTLS", kTokenLossesVersion, "token losses", /*reads_version_1=*/true,
                                        "the next validation of the run stores a new set"};
constexpr size_t kRecordBytes = 12;  // i32 token, f32 loss, u32 train_count

using little_endian::get;
using little_endian::put;

[[noreturn]] void fail(const std::string& what) {
  throw InputError("token losses: " + what);
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
  std::string records;
  records.reserve(count * kRecordBytes);
  for (size_t i = 0; i < count; ++i) {
    put(records, set.tokens[i]);
    put(records, set.losses[i]);
    put(records, set.train_counts[i]);
  }
  return encode_file_header(kTokenLossesFormat, header, crc32c(records)) + records;
}

TokenLossSet decode_token_losses(std::string_view bytes) {
  // The blob lives in the run database, not in a file: the shared header reader names it "blob".
  const auto decoded = decode_file_header(bytes, kTokenLossesFormat, "blob");
  const std::string prefix = "token losses blob: ";
  const auto& header = decoded.header;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  TokenLossSet set;
  set.step = header_int(header, "step", 0, kMax, prefix);
  set.epoch = header_int(header, "epoch", 0, kMax, prefix);
  set.sequences = header_int(header, "sequences", 0, kMax, prefix);
  set.length = header_int(header, "length", 0, kMax, prefix);
  set.shards = header_string(header, "shards", 4096, prefix);
  // Checked against the blob's size before anything is allocated: 2^62 sequences must not wrap around.
  const CheckedSize count = CheckedSize(set.sequences) * set.length;
  const CheckedSize needed = count * kRecordBytes;
  const auto offset = static_cast<size_t>(decoded.data_offset);
  const size_t remaining = bytes.size() - offset;
  if (!needed.ok() || *needed.value() != remaining) {
    fail(std::to_string(set.sequences) + " sequences of " + std::to_string(set.length) + " tokens need " +
         (needed.ok() ? std::to_string(*needed.value()) : std::string("more than 2^64")) +
         " bytes of records, the blob has " + std::to_string(remaining) +
         (!needed.ok() || remaining < *needed.value() ? " (truncated)" : " (trailing bytes)"));
  }
  const auto records = static_cast<size_t>(*count.value());
  const std::string_view data = bytes.substr(offset);
  set.tokens.resize(records);
  set.losses.resize(records);
  set.train_counts.resize(records);
  for (size_t i = 0; i < records; ++i) {
    const size_t at = i * kRecordBytes;
    set.tokens[i] = get<int32_t>(data, at);
    set.losses[i] = get<float>(data, at + 4);
    set.train_counts[i] = get<uint32_t>(data, at + 8);
  }
  return set;
}

}  // namespace zoolab
