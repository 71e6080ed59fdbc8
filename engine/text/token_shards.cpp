// Token shards (token_shards.h): written by streaming with the header rewritten at the end, read
// through mmap so a shard larger than memory costs only the pages a reader touches (after the one pass
// that verifies the checksum on open).

#include "engine/text/token_shards.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/formats/crc32c.h"
#include "engine/formats/header_fields.h"
#include "engine/text/file_header.h"
#include "engine/text/utf8.h"
#include "engine/util/checked_size.h"
#include "engine/util/input_error.h"

namespace zoolab {

namespace {

constexpr FileFormat kTokenShardFormat{"ZTOK", kTokenShardVersion, "token shard", /*reads_version_1=*/false,
                                       "re-run `zoolab-cli data tokenize` to write it again"};
// The JSON is padded to this size so finish() can rewrite it in place with the final counts; with the 20
// bytes before it the tokens start at byte 256, aligned for any dtype.
constexpr uint32_t kHeaderReserve = 256 - kFileHeaderPrefixBytes;
constexpr size_t kFlushBytes = size_t{1} << 20;

nlohmann::json header_json(const TokenShardInfo& info) {
  return {{"vocab_size", info.vocab_size},
          {"dtype", info.dtype},
          {"tokens", info.tokens},
          {"documents", info.documents},
          {"end_of_text", info.end_of_text}};
}

int64_t dtype_width(const std::string& dtype) {
  return dtype == "uint16" ? 2 : 4;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// Writer

struct TokenShardWriter::State {
  std::string path, temp;
  std::FILE* file = nullptr;
  TokenShardInfo info;
  int64_t width = 2;
  std::string buffer;     // tokens not yet written
  uint32_t data_crc = 0;  // of the tokens written so far
  bool finished = false;

  void write(const std::string& bytes) {
    if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size())
      throw std::runtime_error("token shard " + path +
                               ": writing failed (disk full?): " + std::strerror(errno));
  }
  void flush() {
    write(buffer);
    data_crc = crc32c_extend(data_crc, buffer.data(), buffer.size());
    buffer.clear();
  }
  void put(uint32_t token) {
    for (int64_t i = 0; i < width; ++i)
      buffer.push_back(static_cast<char>((token >> (8 * i)) & 0xff));
  }
};

TokenShardWriter::TokenShardWriter(const std::string& path, int64_t vocab_size, int64_t end_of_text)
    : m_state(std::make_unique<State>()) {
  if (vocab_size <= 0 || vocab_size > (int64_t{1} << 31))
    throw std::invalid_argument("token shard " + path + ": vocab_size " + std::to_string(vocab_size) +
                                " is out of range (1 to 2^31)");
  if (end_of_text < -1 || end_of_text >= vocab_size)
    throw std::invalid_argument("token shard " + path + ": end_of_text " + std::to_string(end_of_text) +
                                " is not a token of the vocabulary of " + std::to_string(vocab_size) +
                                " (use -1 for none)");
  auto& s = *m_state;
  s.path = path;
  s.info.vocab_size = vocab_size;
  s.info.dtype = vocab_size <= 65536 ? "uint16" : "uint32";
  s.info.end_of_text = end_of_text;
  s.width = dtype_width(s.info.dtype);
  // Written under a temporary name and renamed by finish(): a reader never sees a half-written shard.
  s.temp = temporary_path_for(path);
  s.file = std::fopen(s.temp.c_str(), "wb");
  if (s.file == nullptr)
    throw std::runtime_error("token shard " + path + ": cannot write " + s.temp + ": " +
                             std::strerror(errno));
  // A placeholder header of the final size; finish() rewrites it with the counts and the checksum.
  try {
    s.write(encode_file_header(kTokenShardFormat, header_json(s.info), 0, kHeaderReserve));
  } catch (...) {
    std::fclose(s.file);
    std::remove(s.temp.c_str());
    throw;
  }
}

TokenShardWriter::~TokenShardWriter() {
  if (m_state && !m_state->finished && m_state->file != nullptr) {
    std::fclose(m_state->file);
    std::remove(m_state->temp.c_str());
  }
}

void TokenShardWriter::add_document(const std::vector<int32_t>& tokens) {
  auto& s = *m_state;
  if (s.finished)
    throw std::logic_error("token shard " + s.path + ": add_document after finish");
  for (const int32_t token : tokens) {
    if (token < 0 || token >= s.info.vocab_size)
      throw std::invalid_argument("token shard " + s.path + ": token " + std::to_string(token) +
                                  " is outside the vocabulary of " + std::to_string(s.info.vocab_size));
    s.put(static_cast<uint32_t>(token));
  }
  s.info.tokens += static_cast<int64_t>(tokens.size());
  if (s.info.end_of_text >= 0) {
    s.put(static_cast<uint32_t>(s.info.end_of_text));
    s.info.tokens += 1;
  }
  s.info.documents += 1;
  if (s.buffer.size() >= kFlushBytes)
    s.flush();
}

TokenShardInfo TokenShardWriter::finish() {
  auto& s = *m_state;
  if (s.finished)
    return s.info;
  s.flush();
  const std::string header =
      encode_file_header(kTokenShardFormat, header_json(s.info), s.data_crc, kHeaderReserve);
  const bool ok = std::fseek(s.file, 0, SEEK_SET) == 0 &&
                  std::fwrite(header.data(), 1, header.size(), s.file) == header.size() &&
                  std::fflush(s.file) == 0;
  const bool closed = std::fclose(s.file) == 0;
  s.file = nullptr;
  s.finished = true;
  if (!ok || !closed) {
    std::remove(s.temp.c_str());
    throw std::runtime_error("token shard " + s.path + ": writing failed (disk full?)");
  }
  commit_temporary(s.temp, s.path);
  return s.info;
}

// ---------------------------------------------------------------------------------------------------------
// Reader

struct TokenShard::State {
  std::string path;
  TokenShardInfo info;
  int64_t width = 2;
  void* map = nullptr;
  size_t map_size = 0;
  const unsigned char* tokens = nullptr;

  ~State() {
    if (map != nullptr)
      munmap(map, map_size);
  }
};

TokenShardLayout parse_token_shard(std::string_view bytes, const std::string& path) {
  const std::string prefix = "token shard " + path + ": ";
  const auto decoded = decode_file_header(bytes, kTokenShardFormat, path);
  const auto& h = decoded.header;
  TokenShardLayout layout;
  auto& info = layout.info;
  info.dtype = header_string(h, "dtype", 16, prefix);
  if (info.dtype != "uint16" && info.dtype != "uint32")
    throw InputError(prefix + "header field \"dtype\" is \"" + escape_for_terminal(info.dtype) +
                     "\" (expected uint16 or uint32)");
  layout.width = dtype_width(info.dtype);
  info.vocab_size = header_int(h, "vocab_size", 1, info.dtype == "uint16" ? 65536 : int64_t{1} << 31, prefix);
  info.tokens = header_int(h, "tokens", 0, std::numeric_limits<int64_t>::max(), prefix);
  info.documents = header_int(h, "documents", 0, std::numeric_limits<int64_t>::max(), prefix);
  info.end_of_text = header_int(h, "end_of_text", -1, info.vocab_size - 1, prefix);
  // Checked arithmetic: tokens = 2^62 + k of width 4 wraps to 4k bytes in uint64.
  const uint64_t data_bytes = bytes.size() - decoded.data_offset;
  const CheckedSize expected = CheckedSize(info.tokens) * layout.width;
  if (!expected.ok() || *expected.value() > data_bytes)
    throw InputError(prefix + "the file is truncated: header field \"tokens\" promises " +
                     std::to_string(info.tokens) + " tokens of " + std::to_string(layout.width) +
                     " bytes, only " + std::to_string(data_bytes) + " bytes follow the header");
  if (*expected.value() < data_bytes)
    throw InputError(prefix + "the file has " + std::to_string(data_bytes - *expected.value()) +
                     " bytes more than the header's " + std::to_string(info.tokens) + " tokens");
  layout.data_offset = decoded.data_offset;
  return layout;
}

TokenShard::TokenShard(const std::string& path) : m_state(std::make_unique<State>()) {
  auto& s = *m_state;
  s.path = path;
  const std::string prefix = "token shard " + path + ": ";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error(prefix + "cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw std::runtime_error(prefix + "cannot stat: " + std::strerror(errno));
  }
  const auto size = static_cast<uint64_t>(st.st_size);
  if (size > 0) {
    s.map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (s.map == MAP_FAILED) {
      s.map = nullptr;
      ::close(fd);
      throw std::runtime_error(prefix + "cannot map: " + std::strerror(errno));
    }
    s.map_size = size;
  }
  ::close(fd);  // the mapping stays valid

  const auto* bytes = static_cast<const char*>(s.map);
  const auto layout = parse_token_shard(std::string_view(bytes == nullptr ? "" : bytes, size), path);
  s.info = layout.info;
  s.width = layout.width;
  s.tokens = reinterpret_cast<const unsigned char*>(bytes) + layout.data_offset;
}

TokenShard::~TokenShard() = default;
TokenShard::TokenShard(TokenShard&&) noexcept = default;

const TokenShardInfo& TokenShard::info() const {
  return m_state->info;
}
int64_t TokenShard::size() const {
  return m_state->info.tokens;
}
const std::string& TokenShard::path() const {
  return m_state->path;
}

void TokenShard::read(int64_t offset, int64_t count, int64_t* out) const {
  const auto& s = *m_state;
  if (offset < 0 || count < 0 || offset > s.info.tokens || count > s.info.tokens - offset)
    throw std::out_of_range("token shard " + s.path + ": tokens [" + std::to_string(offset) + ", " +
                            std::to_string(offset + count) + ") are outside its " +
                            std::to_string(s.info.tokens) + " tokens");
  const unsigned char* p = s.tokens + offset * s.width;
  for (int64_t i = 0; i < count; ++i, p += s.width) {
    uint32_t v = uint32_t{p[0]} | (uint32_t{p[1]} << 8);
    if (s.width == 4)
      v |= (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
    // A corrupt token would otherwise surface as an index error deep inside the model.
    if (v >= static_cast<uint64_t>(s.info.vocab_size))
      throw InputError("token shard " + s.path + ": token " + std::to_string(v) + " at " +
                       std::to_string(offset + i) + " is outside the vocabulary of " +
                       std::to_string(s.info.vocab_size) + " (corrupt file?)");
    out[i] = static_cast<int64_t>(v);
  }
}

ShardsFolder shards_folder(const std::string& dir) {
  const std::filesystem::path d(dir);
  return {(d / "train.ztok").string(), (d / "valid.ztok").string(), (d / "bigrams.zbg").string(),
          (d / "tokenizer.json").string(), (d / "manifest.json").string()};
}

}  // namespace zoolab
