// Token shards (token_shards.h): written by streaming with the header rewritten at the end, read
// through mmap so a shard larger than memory costs only the pages a reader touches (DESIGN §7).

#include "engine/text/token_shards.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/text/file_header.h"

namespace zoolab {

namespace {

constexpr char kMagic[4] = {'Z', 'T', 'O', 'K'};
// The JSON is padded to this size so finish() can rewrite it in place with the final counts; with the 12
// bytes before it the tokens start at byte 256, aligned for any dtype.
constexpr uint32_t kHeaderReserve = 244;
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
  std::string buffer;
  bool finished = false;

  void flush() {
    if (!buffer.empty() && std::fwrite(buffer.data(), 1, buffer.size(), file) != buffer.size())
      throw std::runtime_error("token shard " + path +
                               ": writing failed (disk full?): " + std::strerror(errno));
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
  // A placeholder header of the final size; finish() rewrites it with the counts.
  s.buffer = encode_file_header(kMagic, kTokenShardVersion, header_json(s.info), kHeaderReserve);
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
      encode_file_header(kMagic, kTokenShardVersion, header_json(s.info), kHeaderReserve);
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
  const auto decoded = decode_file_header(bytes, size, kMagic, kTokenShardVersion, path, "token shard");
  const auto& h = decoded.header;
  try {
    s.info.vocab_size = h.at("vocab_size").get<int64_t>();
    s.info.dtype = h.at("dtype").get<std::string>();
    s.info.tokens = h.at("tokens").get<int64_t>();
    s.info.documents = h.at("documents").get<int64_t>();
    s.info.end_of_text = h.at("end_of_text").get<int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(prefix + "the header lacks a field or has a wrong type (" + e.what() + ")");
  }
  if (s.info.dtype != "uint16" && s.info.dtype != "uint32")
    throw std::runtime_error(prefix + "unknown dtype \"" + s.info.dtype + "\" (expected uint16 or uint32)");
  s.width = dtype_width(s.info.dtype);
  if (s.info.vocab_size <= 0 || (s.info.dtype == "uint16" && s.info.vocab_size > 65536))
    throw std::runtime_error(prefix + "vocab_size " + std::to_string(s.info.vocab_size) +
                             " does not fit dtype " + s.info.dtype);
  if (s.info.tokens < 0 || s.info.documents < 0 || s.info.end_of_text < -1 ||
      s.info.end_of_text >= s.info.vocab_size)
    throw std::runtime_error(prefix +
                             "the header has negative counts or an end_of_text outside the vocabulary");
  const uint64_t data_bytes = size - decoded.data_offset;
  const uint64_t expected = static_cast<uint64_t>(s.info.tokens) * static_cast<uint64_t>(s.width);
  if (data_bytes < expected)
    throw std::runtime_error(prefix + "the file is truncated: the header promises " +
                             std::to_string(s.info.tokens) + " tokens (" + std::to_string(expected) +
                             " bytes), only " + std::to_string(data_bytes) + " bytes follow it");
  if (data_bytes > expected)
    throw std::runtime_error(prefix + "the file has " + std::to_string(data_bytes - expected) +
                             " bytes more than the header's " + std::to_string(s.info.tokens) + " tokens");
  s.tokens = reinterpret_cast<const unsigned char*>(bytes) + decoded.data_offset;
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
      throw std::runtime_error("token shard " + s.path + ": token " + std::to_string(v) + " at " +
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
