#pragma once

// The header every binary file of the text pipeline starts with (DESIGN §3: every file format has a
// magic number and a version): 4-byte magic | u32 version | u32 header bytes | header JSON (padded with
// spaces) | data. Shared by .ztok shards (token_shards.h) and .zbg bigram counts (bigram_counts.h).
// No torch, no Qt.

#include <cstdint>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

namespace zoolab {

// The header as bytes; `reserve` pads the JSON so a header rewritten later with bigger counts keeps the
// same size (and so the data that follows keeps its offset). Throws if the JSON does not fit.
std::string encode_file_header(const char magic[4], uint32_t version, const nlohmann::json& header,
                               uint32_t reserve = 0);

struct DecodedFileHeader {
  nlohmann::json header;
  uint64_t data_offset = 0;  // where the data after the header starts
};

// Checks the magic and the version of `bytes` (`size` of them, the start of the file `path`) and parses
// the JSON. `what` names the format in messages ("token shard"). Throws std::runtime_error naming `path`.
DecodedFileHeader decode_file_header(const char* bytes, uint64_t size, const char magic[4], uint32_t version,
                                     const std::string& path, const std::string& what);

// A temporary path beside `path` (same folder, so the final rename stays on one file system).
std::string temporary_path_for(const std::string& path);

// Moves a fully written temporary file into place; removes it and throws naming `path` on failure.
void commit_temporary(const std::string& temp, const std::string& path);

}  // namespace zoolab
