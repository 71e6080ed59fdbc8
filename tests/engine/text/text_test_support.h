#pragma once

// Helpers shared by the text pipeline's tests: a fresh temporary folder, whole files as strings, and
// the message of an expected exception.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "engine/formats/crc32c.h"
#include "tests/support/temp_dir.h"

namespace zoolab::text_test {

using test_support::TempDir;

inline void write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The what() of the exception `body` throws; fails the test if it throws nothing.
template <typename Body>
std::string error_of(Body&& body) {
  try {
    body();
  } catch (const std::exception& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

inline uint32_t get_u32(const std::string& bytes, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[at + i])) << (8 * i);
  return v;
}

inline void put_u32(std::string& bytes, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    bytes[at + i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

// A file of the text pipeline's header (engine/text/file_header.h: magic, version, H, header CRC, data
// CRC, H bytes of JSON, data) with both checksums recomputed: what a writer with a bug, or a person
// editing a header, produces. The readers must then refuse it by the field, not by the checksum.
inline std::string reseal(std::string bytes) {
  const uint32_t header_bytes = get_u32(bytes, 8);
  const std::string_view all(bytes);
  put_u32(bytes, 12, crc32c(all.substr(20, header_bytes)));
  put_u32(bytes, 16, crc32c(all.substr(20 + header_bytes)));
  return bytes;
}

// `header` (the JSON text, padded with spaces to the old length when shorter) in place of the file's.
inline std::string with_header_json(const std::string& bytes, std::string header) {
  const uint32_t header_bytes = get_u32(bytes, 8);
  if (header.size() < header_bytes)
    header.resize(header_bytes, ' ');
  std::string out = bytes.substr(0, 20) + header + bytes.substr(20 + header_bytes);
  put_u32(out, 8, static_cast<uint32_t>(header.size()));
  return reseal(out);
}

}  // namespace zoolab::text_test
