// The shared binary header of the text pipeline's files (file_header.h).

#include "engine/text/file_header.h"

#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "engine/formats/crc32c.h"
#include "engine/text/utf8.h"
#include "engine/util/input_error.h"
#include "engine/util/strict_json.h"

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

std::string hex32(uint32_t v) {
  char text[11];
  std::snprintf(text, sizeof(text), "0x%08x", v);
  return text;
}

}  // namespace

std::string encode_file_header(const FileFormat& format, const nlohmann::json& header, uint32_t data_crc,
                               uint32_t reserve) {
  std::string json = header.dump();
  if (reserve > 0) {
    if (json.size() > reserve)
      throw std::logic_error("file header JSON of " + std::to_string(json.size()) + " bytes exceeds the " +
                             std::to_string(reserve) + " reserved for it");
    json.resize(reserve, ' ');
  }
  if (json.size() > kMaxFileHeaderJsonBytes)
    throw std::logic_error("file header JSON of " + std::to_string(json.size()) + " bytes exceeds the limit");
  std::string out(format.magic, 4);
  put_u32(out, format.version);
  put_u32(out, static_cast<uint32_t>(json.size()));
  put_u32(out, crc32c(json));
  put_u32(out, data_crc);
  out += json;
  return out;
}

DecodedFileHeader decode_file_header(std::string_view bytes, const FileFormat& format,
                                     const std::string& path) {
  const std::string prefix = std::string(format.what) + " " + path + ": ";
  const uint64_t size = bytes.size();
  if (size < kFileHeaderVersion1PrefixBytes)
    throw InputError(prefix + "the file is truncated (" + std::to_string(size) +
                     " bytes, shorter than its header)");
  if (std::memcmp(bytes.data(), format.magic, 4) != 0)
    throw InputError(prefix + "bad magic number (expected \"" + std::string(format.magic, 4) +
                     "\", found \"" + escape_for_terminal(bytes.substr(0, 4)) + "\"); this is not a " +
                     format.what + " file");
  DecodedFileHeader decoded;
  decoded.version = get_u32(bytes.data() + 4);
  if (decoded.version == 1 && format.reads_version_1) {
    decoded.checksummed = false;
  } else if (decoded.version == format.version) {
    decoded.checksummed = true;
  } else if (decoded.version < format.version) {
    throw InputError(prefix + "version " + std::to_string(decoded.version) +
                     " is no longer read (this build reads " + std::to_string(format.version) +
                     "; it adds checksums); " + format.regenerate);
  } else {
    throw InputError(prefix + "unsupported version " + std::to_string(decoded.version) +
                     " (this build reads " + std::to_string(format.version) + "); " + format.regenerate +
                     " with this zoolab");
  }
  const uint64_t prefix_bytes = decoded.checksummed ? kFileHeaderPrefixBytes : kFileHeaderVersion1PrefixBytes;
  if (size < prefix_bytes)
    throw InputError(prefix + "the file is truncated (" + std::to_string(size) + " bytes, shorter than its " +
                     std::to_string(prefix_bytes) + "-byte header)");
  const uint32_t header_bytes = get_u32(bytes.data() + 8);
  if (header_bytes > kMaxFileHeaderJsonBytes)
    throw InputError(prefix + "header length " + std::to_string(header_bytes) + " is past the limit of " +
                     std::to_string(kMaxFileHeaderJsonBytes) + " bytes (damaged file?)");
  if (header_bytes > size - prefix_bytes)
    throw InputError(prefix + "the file is truncated (its header claims " + std::to_string(header_bytes) +
                     " bytes of JSON, " + std::to_string(size - prefix_bytes) + " follow)");
  decoded.data_offset = prefix_bytes + header_bytes;
  const std::string_view json = bytes.substr(prefix_bytes, header_bytes);
  if (decoded.checksummed) {
    // Both checked before the JSON is parsed: nothing a damaged file says is believed.
    const uint32_t header_crc = get_u32(bytes.data() + 12);
    if (crc32c(json) != header_crc)
      throw InputError(prefix + "checksum mismatch in the header (stored " + hex32(header_crc) +
                       ", computed " + hex32(crc32c(json)) + "): the file is damaged; " + format.regenerate);
    const uint32_t data_crc = get_u32(bytes.data() + 16);
    const uint32_t computed = crc32c(bytes.substr(decoded.data_offset));
    if (computed != data_crc)
      throw InputError(prefix + "checksum mismatch in the data (stored " + hex32(data_crc) + ", computed " +
                       hex32(computed) + "): the file is damaged or truncated; " + format.regenerate);
  }
  try {
    decoded.header = parse_strict_json(json);
  } catch (const InputError& error) {
    throw InputError(prefix + "the header is not valid JSON (" + escape_for_terminal(error.what()) + ")");
  }
  if (!decoded.header.is_object())
    throw InputError(prefix + "the header is not a JSON object");
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
