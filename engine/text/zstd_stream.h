#pragma once

// Streaming file input and output for the corpus (docs/architecture.md#text-pipeline: Pile shards are
// .jsonl.zst files of tens of GB, so nothing here holds a whole file): StreamReader reads a plain or
// zstd-compressed file in blocks and by lines; StreamWriter writes one, plain or compressed, under a
// temporary name renamed into place by finish(). A .zst that ends inside a frame (a cut download) is an error
// naming the file, never a silently shorter corpus. No torch, no Qt.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace zoolab {

// True for a path ending in ".zst".
bool is_zstd_path(const std::string& path);

class StreamReader {
 public:
  // `decompress`: the file is zstd (one or more frames); otherwise its bytes are read as they are.
  // Throws std::runtime_error naming the file when it cannot be opened.
  StreamReader(const std::string& path, bool decompress);
  ~StreamReader();
  StreamReader(StreamReader&&) noexcept;

  // Up to `capacity` bytes of content; 0 only at the end. Throws std::runtime_error naming the file on
  // corrupt or truncated compressed data, or a read error.
  size_t read(char* out, size_t capacity);
  // The next line without its '\n' (a last line without one counts too); false at the end. Throws as
  // read() does; the lines before the damage are returned first.
  bool read_line(std::string& line);
  // Lines returned so far (the number of the last one).
  int64_t line_number() const;
  // Bytes of the file itself consumed so far (compressed bytes for a .zst).
  int64_t file_bytes_read() const;
  const std::string& path() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

class StreamWriter {
 public:
  // `compress`: write zstd at `level` (1 fast .. 19 small). Throws naming the file if it cannot be created.
  StreamWriter(const std::string& path, bool compress, int level = 6);
  ~StreamWriter();  // without finish(), the partial temporary file is removed and `path` is untouched
  void write(std::string_view bytes);
  // Ends the frame, flushes and renames the file into place; returns the bytes written to the file.
  int64_t finish();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace zoolab
