// The framing of checkpoint files (checkpoint_format.h).

#include "engine/formats/checkpoint_format.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/formats/crc32c.h"
#include "engine/formats/header_fields.h"
#include "engine/text/utf8.h"
#include "engine/util/checked_size.h"
#include "engine/util/memory_budget.h"
#include "engine/util/strict_json.h"

namespace zoolab {
namespace {

constexpr char kCheckpointMagic[8] = {'Z', 'L', 'C', 'K', 'P', 'T', '\0', '\0'};
constexpr uint64_t kPrefixBytes = 8 + 4 + 8;
constexpr uint64_t kTrailerBytes = 4;

template <typename T>
void put_le(std::string& out, T value) {
  for (size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xff));
  }
}

template <typename T>
T get_le(std::string_view bytes, size_t offset) {
  uint64_t value = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return static_cast<T>(value);
}

bool is_lower_hex(const std::string& text) {
  for (const char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

}  // namespace

void validate_checkpoint_position(const CheckpointPosition& position, const std::string& path) {
  auto refuse = [&](const char* field, int64_t value, const char* allowed) {
    throw CheckpointError(path, "header field \"" + std::string(field) + "\" is " + std::to_string(value) +
                                    "; it must be " + allowed);
  };
  if (position.run_id < 1) {
    refuse("run_id", position.run_id, "a run id (1 or more)");
  }
  if (position.epoch < 0) {
    refuse("epoch", position.epoch, "0 or more");
  }
  if (position.batch < 0) {
    refuse("batch", position.batch, "0 or more");
  }
  if (position.step < 0) {
    refuse("step", position.step, "0 or more");
  }
  if (position.config_hash.size() != 16 || !is_lower_hex(position.config_hash)) {
    throw CheckpointError(path, "header field \"config_hash\" is \"" +
                                    escape_for_terminal(position.config_hash) +
                                    "\"; it must be 16 lowercase hexadecimal digits");
  }
  if (position.run_uid.size() > 64 || !is_lower_hex(position.run_uid)) {
    throw CheckpointError(path, "header field \"run_uid\" is \"" + escape_for_terminal(position.run_uid) +
                                    "\"; it must be at most 64 lowercase hexadecimal digits");
  }
}

ParsedCheckpoint parse_checkpoint(std::string_view bytes, const std::string& path) {
  if (bytes.size() < kPrefixBytes) {
    if (bytes.size() >= 8 && std::memcmp(bytes.data(), kCheckpointMagic, 8) != 0) {
      throw CheckpointError(path, "not a zoolab checkpoint (bad magic number)");
    }
    throw CheckpointError(path, "truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the " +
                                    std::to_string(kPrefixBytes) + "-byte prefix");
  }
  if (std::memcmp(bytes.data(), kCheckpointMagic, 8) != 0) {
    throw CheckpointError(path, "not a zoolab checkpoint (bad magic number)");
  }
  ParsedCheckpoint parsed;
  parsed.version = get_le<uint32_t>(bytes, 8);
  if (parsed.version == 0 || parsed.version > kCheckpointVersion) {
    throw CheckpointError(path, "format version " + std::to_string(parsed.version) +
                                    " is not one this zoolab reads (1 to " +
                                    std::to_string(kCheckpointVersion) + ")");
  }
  parsed.checksummed = parsed.version >= 2;
  const uint64_t trailer = parsed.checksummed ? kTrailerBytes : 0;
  if (bytes.size() < kPrefixBytes + trailer) {
    throw CheckpointError(path, "truncated: " + std::to_string(bytes.size()) + " bytes");
  }
  // The checksum before anything else the file says is believed.
  if (parsed.checksummed) {
    const size_t at = bytes.size() - kTrailerBytes;
    const auto stored = get_le<uint32_t>(bytes, at);
    const uint32_t computed = crc32c(bytes.substr(0, at));
    if (stored != computed) {
      char text[64];
      std::snprintf(text, sizeof(text), "stored 0x%08x, computed 0x%08x", stored, computed);
      throw CheckpointError(path, std::string("checksum mismatch (") + text +
                                      "): the file is damaged or truncated; restore it from a copy and "
                                      "resume, or restart the run");
    }
  }
  const auto header_size = get_le<uint64_t>(bytes, 12);
  const uint64_t room = bytes.size() - kPrefixBytes - trailer;
  if (header_size > kMaxCheckpointHeaderBytes || header_size > room) {
    throw CheckpointError(
        path, "header length " + std::to_string(header_size) + " is past " +
                  (header_size > kMaxCheckpointHeaderBytes
                       ? "the limit of " + std::to_string(kMaxCheckpointHeaderBytes) + " bytes"
                       : "the end of the file (" + std::to_string(bytes.size()) + " bytes; truncated?)"));
  }
  nlohmann::json json;
  try {
    json = parse_strict_json(bytes.substr(kPrefixBytes, static_cast<size_t>(header_size)));
  } catch (const InputError& error) {
    throw CheckpointError(path, "the header is not valid JSON (" + escape_for_terminal(error.what()) + ")");
  }
  if (!json.is_object()) {
    throw CheckpointError(path, "the header is not a JSON object");
  }
  const std::string prefix;  // CheckpointError already names the file
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  try {
    auto& position = parsed.header.position;
    position.run_id = header_int(json, "run_id", 1, kMax, prefix);
    position.epoch = header_int(json, "epoch", 0, kMax, prefix);
    position.batch = header_int(json, "batch", 0, kMax, prefix);
    position.step = header_int(json, "step", 0, kMax, prefix);
    position.config_hash = header_string(json, "config_hash", 64, prefix);
    if (json.contains("run_uid")) {
      position.run_uid = header_string(json, "run_uid", 64, prefix);
    }
    if (json.contains("torch_version")) {
      parsed.header.torch_version = header_string(json, "torch_version", 64, prefix);
    }
  } catch (const CheckpointError&) {
    throw;
  } catch (const InputError& error) {
    throw CheckpointError(path, error.what());
  }
  validate_checkpoint_position(parsed.header.position, path);
  parsed.payload_offset = kPrefixBytes + header_size;
  parsed.payload_size = bytes.size() - trailer - parsed.payload_offset;
  return parsed;
}

std::string encode_checkpoint_head(const CheckpointHeader& header) {
  const auto& p = header.position;
  const nlohmann::json json = {{"run_id", p.run_id},
                               {"run_uid", p.run_uid},
                               {"epoch", p.epoch},
                               {"batch", p.batch},
                               {"step", p.step},
                               {"config_hash", p.config_hash},
                               {"torch_version", header.torch_version}};
  const std::string text = json.dump();
  std::string head(kCheckpointMagic, sizeof(kCheckpointMagic));
  put_le<uint32_t>(head, kCheckpointVersion);
  put_le<uint64_t>(head, text.size());
  head += text;
  return head;
}

std::string encode_checkpoint_trailer(std::string_view head, std::string_view payload) {
  std::string trailer;
  put_le<uint32_t>(trailer, crc32c_extend(crc32c(head), payload.data(), payload.size()));
  return trailer;
}

CheckpointFile read_checkpoint_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw CheckpointError(path, std::string("cannot open: ") + std::strerror(errno));
  }
  const auto end = in.tellg();
  if (end < 0) {
    throw CheckpointError(path, "cannot read its size");
  }
  const auto size = static_cast<uint64_t>(end);
  if (const auto shortfall = memory_shortfall(size)) {
    throw CheckpointError(path, "reading the " + format_bytes(size) + " file " + *shortfall);
  }
  CheckpointFile file;
  file.bytes.resize(static_cast<size_t>(size));
  in.seekg(0);
  if (!in.read(file.bytes.data(), static_cast<std::streamsize>(size))) {
    throw CheckpointError(path, "cannot read " + std::to_string(size) + " bytes");
  }
  file.parsed = parse_checkpoint(file.bytes, path);
  return file;
}

}  // namespace zoolab
