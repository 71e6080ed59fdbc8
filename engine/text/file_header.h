#pragma once

// The header every binary file of the text pipeline starts with (every file format has a magic number
// and a version): .ztok shards (token_shards.h), .zbg bigram counts (bigram_counts.h) and the token-loss
// blobs of the store (token_losses.h). Little-endian:
//   char[4] magic | u32 version | u32 H | u32 CRC-32C of the header JSON | u32 CRC-32C of the data |
//   H bytes of header JSON (padded with spaces) | the data, to the end of the file
// Both checksums are verified on every decode, so a flipped bit anywhere is refused before a field of the
// header is believed. They sit in the fixed prefix, not at the end, because the shard writer streams its
// data and rewrites the header with the final counts last. Version 1 of these formats had no checksums
// (12-byte prefix: magic, version, H); a format says whether it still reads it. No torch, no Qt.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace zoolab {

// One format that uses this header.
struct FileFormat {
  const char* magic;     // 4 bytes
  uint32_t version;      // the version this build writes (>= 2: with checksums)
  const char* what;      // names the format in messages: "token shard"
  bool reads_version_1;  // version 1 files (no checksums) are still read
  const char*
      regenerate;  // what to do with a file this build does not read ("re-run `zoolab-cli data tokenize`")
};

inline constexpr uint32_t kFileHeaderPrefixBytes = 20;
inline constexpr uint32_t kFileHeaderVersion1PrefixBytes = 12;
// No header of ours comes near it; a damaged length must not make a reader parse megabytes.
inline constexpr uint32_t kMaxFileHeaderJsonBytes = 1 << 20;

// The prefix and the header JSON as bytes; `data_crc` is crc32c of the data that will follow. `reserve`
// pads the JSON so a header rewritten later with bigger counts keeps the same size (and so the data that
// follows keeps its offset). Throws std::logic_error if the JSON does not fit.
std::string encode_file_header(const FileFormat& format, const nlohmann::json& header, uint32_t data_crc,
                               uint32_t reserve = 0);

struct DecodedFileHeader {
  nlohmann::json header;     // an object
  uint64_t data_offset = 0;  // where the data after the header starts
  uint32_t version = 0;
  bool checksummed = false;  // false only for a version 1 file
};

// Checks the magic, the version, the header length against `bytes` (the whole file `path`), both
// checksums, and parses the JSON (parse_strict_json). Throws InputError "<what> <path>: <problem>"; the
// message quotes nothing of the file unescaped. Never reads outside `bytes`, whatever they hold.
DecodedFileHeader decode_file_header(std::string_view bytes, const FileFormat& format,
                                     const std::string& path);

// A temporary path beside `path` (same folder, so the final rename stays on one file system).
std::string temporary_path_for(const std::string& path);

// Moves a fully written temporary file into place; removes it and throws naming `path` on failure.
void commit_temporary(const std::string& temp, const std::string& path);

}  // namespace zoolab
