#pragma once

// Typed reads of the fields of a binary file's JSON header, each checked against the range the format
// allows: a header is input from outside, and a count of 2^62 or -3 must be refused by name before any
// arithmetic uses it. Messages read "<prefix>header field "tokens": ...", with nothing of the file
// quoted unescaped. No torch, no Qt.

#include <cstdint>
#include <limits>
#include <string>

#include <nlohmann/json.hpp>

namespace zoolab {

// header[key], an integer in [min, max]; throws InputError naming the field, what it holds and the range.
int64_t header_int(const nlohmann::json& header, const std::string& key, int64_t min, int64_t max,
                   const std::string& prefix);

// header[key], a string of at most `max_length` bytes (returned as stored; escape it before printing).
std::string header_string(const nlohmann::json& header, const std::string& key, size_t max_length,
                          const std::string& prefix);

// A JSON value as it may appear in a message: dumped, escaped for a terminal, cut after 40 bytes.
std::string quote_json_value(const nlohmann::json& value);

}  // namespace zoolab
