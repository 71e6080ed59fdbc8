#pragma once

// Corpus input and output (docs/architecture.md#text-pipeline). A CorpusReader yields documents one at a time
// from
//   - Pile-format JSON lines, .jsonl or .jsonl.zst: {"text": ..., "meta": {"pile_set_name": ...}} a line;
//   - a plain text file (any other name; "x.txt.zst" is decompressed): the whole file is one document;
//   - a folder: every file below it (recursively, in sorted path order, hidden entries skipped) is one
//     document whose set name is the folder's name unless the input gives one.
// Bad input (a malformed JSON line, a line without a string "text", invalid UTF-8, a truncated or corrupt
// .zst) is reported with its file and line and either skipped or refused, as the user chooses. Only the
// current document is held in memory. A CorpusWriter writes Pile-format .jsonl or .jsonl.zst.
// No torch, no Qt.

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace zoolab {

enum class OnBadInput { Skip, Refuse };
// "skip" or "refuse"; throws std::invalid_argument naming the allowed values.
OnBadInput parse_on_bad_input(const std::string& value);

struct CorpusDocument {
  std::string text;      // valid UTF-8
  std::string set_name;  // meta.pile_set_name, or the input's set name
  std::string source;    // the file it came from
  int64_t line = 0;      // its line in a .jsonl (1-based); 0 for a whole-file document
};

struct CorpusProblem {
  std::string file;
  int64_t line = 0;  // 0 when the problem is not on a line (e.g. an unreadable file)
  std::string what;
  std::string to_string() const;  // "file:line: what"
};

// Thrown under OnBadInput::Refuse; what() is the problem's "file:line: what".
class CorpusError : public std::runtime_error {
 public:
  explicit CorpusError(CorpusProblem problem);
  const CorpusProblem& problem() const { return m_problem; }

 private:
  CorpusProblem m_problem;
};

struct CorpusInput {
  std::string path;      // a .jsonl[.zst] file, another file, or a folder
  std::string set_name;  // for documents without meta.pile_set_name; empty: the folder's or file's name
};

struct CorpusStats {
  int64_t files = 0;       // files opened
  int64_t documents = 0;   // documents returned
  int64_t text_bytes = 0;  // UTF-8 bytes of their texts
  int64_t file_bytes = 0;  // bytes read from the files (compressed bytes for .zst)
  int64_t problems = 0;    // problems met (each skipped line, file or rest of a file counts once)
  std::vector<CorpusProblem> problem_list;  // the first kMaxListedProblems of them
  static constexpr size_t kMaxListedProblems = 10000;
};

class CorpusReader {
 public:
  // Throws std::runtime_error naming the path when an input does not exist.
  CorpusReader(std::vector<CorpusInput> inputs, OnBadInput on_bad_input);
  ~CorpusReader();
  // Called for each problem as it is met (under Skip), e.g. to print it at once.
  void set_problem_callback(std::function<void(const CorpusProblem&)> callback);
  // The next document; false when all inputs are read. Under Refuse throws CorpusError at the first problem.
  bool next(CorpusDocument& document);
  const CorpusStats& stats() const;

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Writes Pile-format JSON lines, zstd-compressed when the path ends in ".zst". The file appears (renamed
// from a temporary one) only at finish().
class CorpusWriter {
 public:
  // `path` must end in .jsonl or .jsonl.zst (std::invalid_argument otherwise).
  explicit CorpusWriter(const std::string& path, int zstd_level = 6);
  ~CorpusWriter();
  // Throws std::invalid_argument if `text` or `set_name` is not valid UTF-8.
  void add(std::string_view text, std::string_view set_name);
  int64_t documents() const;
  int64_t text_bytes() const;
  int64_t finish();  // the file's size

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace zoolab
