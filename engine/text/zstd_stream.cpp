// Streaming plain/zstd input and output (zstd_stream.h), over zstd's streaming API (ZSTD_decompressStream,
// ZSTD_compressStream2).

#include "engine/text/zstd_stream.h"

#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "engine/text/file_header.h"

namespace zoolab {

bool is_zstd_path(const std::string& path) {
  return path.size() >= 4 && path.compare(path.size() - 4, 4, ".zst") == 0;
}

// ---------------------------------------------------------------------------------------------------------
// Reader

struct StreamReader::State {
  std::string path;
  std::FILE* file = nullptr;
  ZSTD_DCtx* dctx = nullptr;  // null for a plain file
  std::vector<char> in;       // compressed bytes read from the file, [in_pos, in_size) not yet decoded
  size_t in_pos = 0, in_size = 0;
  bool file_eof = false;
  size_t frame_hint = 0;  // ZSTD_decompressStream's last return: 0 when a frame just ended
  bool any_input = false;
  std::vector<char> out;  // content bytes, [out_pos, out_size) not yet consumed
  size_t out_pos = 0, out_size = 0;
  int64_t line = 0;
  int64_t file_bytes = 0;

  ~State() {
    if (file != nullptr)
      std::fclose(file);
    if (dctx != nullptr)
      ZSTD_freeDCtx(dctx);
  }

  size_t read_file(char* dst, size_t capacity) {
    const size_t n = std::fread(dst, 1, capacity, file);
    if (n < capacity) {
      if (std::ferror(file))
        throw std::runtime_error(path + ": read error: " + std::strerror(errno));
      file_eof = true;
    }
    file_bytes += static_cast<int64_t>(n);
    return n;
  }

  // Decompresses into `dst`; 0 only at the true end of the stream.
  size_t decompress(char* dst, size_t capacity) {
    while (true) {
      if (in_pos == in_size && !file_eof) {
        in_size = read_file(in.data(), in.size());
        in_pos = 0;
        any_input = any_input || in_size > 0;
      }
      const bool at_end = in_pos == in_size && file_eof;
      if (at_end && !any_input)
        throw std::runtime_error(path + ": the file is empty, not a zstd stream");
      if (at_end && frame_hint == 0)
        return 0;
      // At the end of the file a frame may still hold decoded bytes that did not fit the last output
      // buffer; one more call with no input flushes them.
      ZSTD_inBuffer input{in.data(), in_size, in_pos};
      ZSTD_outBuffer output{dst, capacity, 0};
      const size_t r = ZSTD_decompressStream(dctx, &output, &input);
      if (ZSTD_isError(r))
        throw std::runtime_error(path + ": corrupt zstd data (" + ZSTD_getErrorName(r) + ") after " +
                                 std::to_string(file_bytes) + " bytes of the file");
      in_pos = input.pos;
      frame_hint = r;
      if (output.pos > 0)
        return output.pos;
      // The decoder still expects input and the file has none left: it was cut inside a frame.
      if (at_end)
        throw std::runtime_error(path +
                                 ": truncated zstd stream (the file ends inside a compressed frame; "
                                 "download or compress it again)");
    }
  }

  size_t fill(char* dst, size_t capacity) {
    if (dctx == nullptr)
      return file_eof ? 0 : read_file(dst, capacity);
    return decompress(dst, capacity);
  }
};

StreamReader::StreamReader(const std::string& path, bool decompress) : m_state(std::make_unique<State>()) {
  auto& s = *m_state;
  s.path = path;
  s.file = std::fopen(path.c_str(), "rb");
  if (s.file == nullptr)
    throw std::runtime_error(path + ": cannot open: " + std::strerror(errno));
  if (decompress) {
    s.dctx = ZSTD_createDCtx();
    if (s.dctx == nullptr)
      throw std::runtime_error(path + ": cannot create a zstd decoder");
    s.in.resize(ZSTD_DStreamInSize());
  }
  s.out.resize(size_t{1} << 17);
}

StreamReader::~StreamReader() = default;
StreamReader::StreamReader(StreamReader&&) noexcept = default;

size_t StreamReader::read(char* out, size_t capacity) {
  auto& s = *m_state;
  if (s.out_pos < s.out_size) {
    const size_t n = std::min(capacity, s.out_size - s.out_pos);
    std::memcpy(out, s.out.data() + s.out_pos, n);
    s.out_pos += n;
    return n;
  }
  return s.fill(out, capacity);
}

bool StreamReader::read_line(std::string& line) {
  auto& s = *m_state;
  line.clear();
  bool any = false;
  while (true) {
    if (s.out_pos == s.out_size) {
      s.out_pos = 0;
      s.out_size = s.fill(s.out.data(), s.out.size());
      if (s.out_size == 0) {
        if (any)
          ++s.line;
        return any;
      }
    }
    any = true;
    const char* begin = s.out.data() + s.out_pos;
    const auto* newline = static_cast<const char*>(std::memchr(begin, '\n', s.out_size - s.out_pos));
    if (newline != nullptr) {
      line.append(begin, newline);
      s.out_pos += static_cast<size_t>(newline - begin) + 1;
      ++s.line;
      return true;
    }
    line.append(begin, s.out_size - s.out_pos);
    s.out_pos = s.out_size;
  }
}

int64_t StreamReader::line_number() const {
  return m_state->line;
}
int64_t StreamReader::file_bytes_read() const {
  return m_state->file_bytes;
}
const std::string& StreamReader::path() const {
  return m_state->path;
}

// ---------------------------------------------------------------------------------------------------------
// Writer

struct StreamWriter::State {
  std::string path, temp;
  std::FILE* file = nullptr;
  ZSTD_CCtx* cctx = nullptr;  // null for a plain file
  std::vector<char> out;
  int64_t written = 0;
  bool finished = false;

  ~State() {
    if (cctx != nullptr)
      ZSTD_freeCCtx(cctx);
    if (file != nullptr) {
      std::fclose(file);
      std::remove(temp.c_str());
    }
  }

  void put(const char* bytes, size_t n) {
    if (n > 0 && std::fwrite(bytes, 1, n, file) != n)
      throw std::runtime_error(path + ": writing failed (disk full?): " + std::strerror(errno));
    written += static_cast<int64_t>(n);
  }

  void compress(std::string_view bytes, ZSTD_EndDirective mode) {
    ZSTD_inBuffer input{bytes.data(), bytes.size(), 0};
    while (true) {
      ZSTD_outBuffer output{out.data(), out.size(), 0};
      const size_t remaining = ZSTD_compressStream2(cctx, &output, &input, mode);
      if (ZSTD_isError(remaining))
        throw std::runtime_error(path + ": zstd compression failed: " + ZSTD_getErrorName(remaining));
      put(out.data(), output.pos);
      const bool done = mode == ZSTD_e_end ? remaining == 0 : input.pos == input.size;
      if (done)
        return;
    }
  }
};

StreamWriter::StreamWriter(const std::string& path, bool compress, int level)
    : m_state(std::make_unique<State>()) {
  auto& s = *m_state;
  s.path = path;
  s.temp = temporary_path_for(path);
  s.file = std::fopen(s.temp.c_str(), "wb");
  if (s.file == nullptr)
    throw std::runtime_error(path + ": cannot create " + s.temp + ": " + std::strerror(errno));
  if (compress) {
    s.cctx = ZSTD_createCCtx();
    if (s.cctx == nullptr)
      throw std::runtime_error(path + ": cannot create a zstd encoder");
    ZSTD_CCtx_setParameter(s.cctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(s.cctx, ZSTD_c_checksumFlag, 1);  // a damaged file fails to decode
    s.out.resize(ZSTD_CStreamOutSize());
  }
}

StreamWriter::~StreamWriter() = default;

void StreamWriter::write(std::string_view bytes) {
  auto& s = *m_state;
  if (s.finished)
    throw std::logic_error(s.path + ": write after finish");
  if (s.cctx == nullptr)
    s.put(bytes.data(), bytes.size());
  else
    s.compress(bytes, ZSTD_e_continue);
}

int64_t StreamWriter::finish() {
  auto& s = *m_state;
  if (s.finished)
    return s.written;
  if (s.cctx != nullptr)
    s.compress({}, ZSTD_e_end);
  const bool flushed = std::fflush(s.file) == 0;
  const bool closed = std::fclose(s.file) == 0;
  s.file = nullptr;
  s.finished = true;
  if (!flushed || !closed) {
    std::remove(s.temp.c_str());
    throw std::runtime_error(s.path + ": writing failed (disk full?)");
  }
  commit_temporary(s.temp, s.path);
  return s.written;
}

}  // namespace zoolab
