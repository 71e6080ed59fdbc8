// The shared binary header of the text pipeline's files (file_header.h).

#include "engine/text/file_header.h"

#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

namespace zoolab {

namespace fs = std::filesystem;

namespace {

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t get_u32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

std::string encode_file_header(const char magic[4], uint32_t version, const nlohmann::json& header,
                               uint32_t reserve) {
  std::string json = header.dump();
  if (reserve > 0) {
    if (json.size() > reserve)
      throw std::logic_error("file header JSON of " + std::to_string(json.size()) + " bytes exceeds the " +
                             std::to_string(reserve) + " reserved for it");
    json.resize(reserve, ' ');
  }
  std::string out(magic, 4);
  put_u32(out, version);
  put_u32(out, static_cast<uint32_t>(json.size()));
  out += json;
  return out;
}

DecodedFileHeader decode_file_header(const char* bytes, uint64_t size, const char magic[4], uint32_t version,
                                     const std::string& path, const std::string& what) {
  const std::string prefix = what + " " + path + ": ";
  if (size < 12)
    throw std::runtime_error(prefix + "the file is truncated (" + std::to_string(size) +
                             " bytes, shorter than its 12-byte header)");
  if (std::memcmp(bytes, magic, 4) != 0)
    throw std::runtime_error(prefix + "bad magic number (expected \"" + std::string(magic, 4) +
                             "\"); this is not a " + what + " file");
  const uint32_t found = get_u32(bytes + 4);
  if (found != version)
    throw std::runtime_error(prefix + "unsupported version " + std::to_string(found) + " (this build reads " +
                             std::to_string(version) + "); recreate the file with this zoolab");
  const uint32_t header_bytes = get_u32(bytes + 8);
  if (header_bytes > size - 12)
    throw std::runtime_error(prefix + "the file is truncated (its header claims " +
                             std::to_string(header_bytes) + " bytes of JSON, " + std::to_string(size - 12) +
                             " follow)");
  DecodedFileHeader decoded;
  try {
    decoded.header = nlohmann::json::parse(bytes + 12, bytes + 12 + header_bytes);
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(prefix + "the header is not valid JSON (" + e.what() + ")");
  }
  if (!decoded.header.is_object())
    throw std::runtime_error(prefix + "the header is not a JSON object");
  decoded.data_offset = 12 + uint64_t{header_bytes};
  return decoded;
}

std::string temporary_path_for(const std::string& path) {
  std::random_device device;
  char suffix[32];
  std::snprintf(suffix, sizeof(suffix), ".tmp-%08x%08x", device(), device());
  return path + suffix;
}

void commit_temporary(const std::string& temp, const std::string& path) {
  std::error_code ec;
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw std::runtime_error("cannot move " + temp + " into place as " + path + ": " + ec.message());
  }
}

}  // namespace zoolab
