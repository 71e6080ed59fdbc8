// Corpus input and output (corpus.h).

#include "engine/text/corpus.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "engine/text/utf8.h"
#include "engine/text/zstd_stream.h"
#include "engine/util/strict_json.h"

namespace zoolab {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "x.jsonl" and "x.jsonl.zst" are JSON lines; anything else is one text document.
bool is_jsonl_path(const std::string& path) {
  return ends_with(path, ".jsonl") || ends_with(path, ".jsonl.zst");
}

// The file's name without .zst and .jsonl / .txt-like extension: "books.jsonl.zst" → "books".
std::string file_stem(const std::string& path) {
  fs::path p = fs::path(path).filename();
  if (p.extension() == ".zst")
    p = p.stem();
  return p.stem().string();
}

std::string folder_name(const std::string& path) {
  const fs::path p = fs::path(path).lexically_normal();
  const std::string name = p.filename().string();
  return name.empty() ? p.parent_path().filename().string() : name;
}

bool blank(const std::string& line) {
  return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

// A syntax error reads "invalid JSON: parse error at ..."; the problem already says "malformed JSON".
std::string json_message(const JsonSyntaxError& e) {
  const std::string what = e.what();
  const std::string prefix = "invalid JSON: ";
  return what.rfind(prefix, 0) == 0 ? what.substr(prefix.size()) : what;
}

// Where an invalid byte of a whole-file document is, as line and column (1-based).
std::pair<int64_t, int64_t> line_and_column(const std::string& text, size_t offset) {
  int64_t line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return {line, static_cast<int64_t>(offset - line_start) + 1};
}

std::string hex_byte(char c) {
  static const char* digits = "0123456789ABCDEF";
  const auto u = static_cast<unsigned char>(c);
  return std::string("0x") + digits[u >> 4] + digits[u & 15];
}

// The reader's messages start with "PATH: "; a problem names the path already.
std::string without_path(const std::string& message, const std::string& path) {
  return message.rfind(path + ": ", 0) == 0 ? message.substr(path.size() + 2) : message;
}

}  // namespace

// One input file of the reader, in a named namespace because CorpusReader::State holds them: a member
// type from an anonymous namespace would give State internal linkage.
namespace corpus_detail {

struct FileItem {
  std::string path;
  std::string set_name;  // resolved: the input's, the folder's or the file's name
  bool jsonl = false;
};

}  // namespace corpus_detail

using corpus_detail::FileItem;

OnBadInput parse_on_bad_input(const std::string& value) {
  if (value == "skip")
    return OnBadInput::Skip;
  if (value == "refuse")
    return OnBadInput::Refuse;
  throw std::invalid_argument("on-error \"" + value + "\" is not one of: skip, refuse");
}

std::string CorpusProblem::to_string() const {
  return line > 0 ? file + ":" + std::to_string(line) + ": " + what : file + ": " + what;
}

CorpusError::CorpusError(CorpusProblem problem)
    : std::runtime_error(problem.to_string()), m_problem(std::move(problem)) {}

// ---------------------------------------------------------------------------------------------------------
// Reader

struct CorpusReader::State {
  std::vector<FileItem> files;
  size_t next_file = 0;
  OnBadInput on_bad_input = OnBadInput::Skip;
  std::function<void(const CorpusProblem&)> callback;
  CorpusStats stats;
  std::unique_ptr<StreamReader> jsonl;  // the JSON-lines file being read
  const FileItem* jsonl_item = nullptr;
  std::string line;

  void problem(const std::string& file, int64_t line_number, std::string what) {
    CorpusProblem p{file, line_number, std::move(what)};
    if (on_bad_input == OnBadInput::Refuse)
      throw CorpusError(std::move(p));
    ++stats.problems;
    if (callback)
      callback(p);
    if (stats.problem_list.size() < CorpusStats::kMaxListedProblems)
      stats.problem_list.push_back(std::move(p));
  }

  void close_jsonl() {
    if (jsonl)
      stats.file_bytes += jsonl->file_bytes_read();
    jsonl.reset();
    jsonl_item = nullptr;
  }

  // One line of the open JSON-lines file as a document; false when the line yields none.
  bool parse_line(CorpusDocument& document) {
    const int64_t number = jsonl->line_number();
    const std::string& path = jsonl_item->path;
    if (blank(line))
      return false;  // blank lines (a trailing one, above all) are not documents
    if (const auto bad = first_invalid_utf8(line)) {
      problem(path, number,
              "invalid UTF-8 (byte " + hex_byte(line[*bad]) + " at column " + std::to_string(*bad + 1) + ")");
      return false;
    }
    nlohmann::json row;
    try {
      row = parse_strict_json(line);  // a key given twice or nesting past the limit is a bad line too
    } catch (const JsonSyntaxError& e) {
      problem(path, number, "malformed JSON: " + json_message(e));
      return false;
    }
    if (!row.is_object()) {
      problem(path, number, "the line is not a JSON object (expected {\"text\": ..., \"meta\": {...}})");
      return false;
    }
    const auto text = row.find("text");
    if (text == row.end() || !text->is_string()) {
      problem(path, number,
              text == row.end() ? "no \"text\" field (expected {\"text\": \"...\", \"meta\": {...}})"
                                : "\"text\" is not a string (it is " + std::string(text->type_name()) + ")");
      return false;
    }
    document.text = std::move(text->get_ref<std::string&>());
    document.set_name = jsonl_item->set_name;
    const auto meta = row.find("meta");
    if (meta != row.end() && meta->is_object()) {
      const auto set = meta->find("pile_set_name");
      if (set != meta->end() && set->is_string())
        document.set_name = set->get<std::string>();
    }
    document.source = path;
    document.line = number;
    return true;
  }

  // A whole file as one document; false when it yields none.
  bool read_whole_file(const FileItem& item, CorpusDocument& document) {
    std::string text;
    int64_t file_bytes = 0;
    try {
      StreamReader reader(item.path, is_zstd_path(item.path));
      ++stats.files;
      char block[1 << 16];
      while (const size_t n = reader.read(block, sizeof(block)))
        text.append(block, n);
      file_bytes = reader.file_bytes_read();
    } catch (const std::runtime_error& e) {
      problem(item.path, 0, without_path(e.what(), item.path));
      return false;
    }
    stats.file_bytes += file_bytes;
    if (const auto bad = first_invalid_utf8(text)) {
      const auto [line, column] = line_and_column(text, *bad);
      problem(item.path, line,
              "invalid UTF-8 (byte " + hex_byte(text[*bad]) + " at column " + std::to_string(column) +
                  "); is this a text file?");
      return false;
    }
    document.text = std::move(text);
    document.set_name = item.set_name;
    document.source = item.path;
    document.line = 0;
    return true;
  }
};

CorpusReader::CorpusReader(std::vector<CorpusInput> inputs, OnBadInput on_bad_input)
    : m_state(std::make_unique<State>()) {
  auto& s = *m_state;
  s.on_bad_input = on_bad_input;
  if (inputs.empty())
    throw std::invalid_argument("corpus: no input given (name a .jsonl, .jsonl.zst, text file or folder)");
  for (const auto& input : inputs) {
    std::error_code ec;
    const auto status = fs::status(input.path, ec);
    if (ec || !fs::exists(status))
      throw std::runtime_error("corpus input " + input.path + " does not exist");
    if (fs::is_directory(status)) {
      const std::string set = input.set_name.empty() ? folder_name(input.path) : input.set_name;
      std::vector<std::string> paths;
      fs::recursive_directory_iterator it(input.path, fs::directory_options::skip_permission_denied, ec);
      if (ec)
        throw std::runtime_error("corpus input " + input.path + ": cannot list the folder: " + ec.message());
      for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (ec)
          throw std::runtime_error("corpus input " + input.path +
                                   ": cannot list the folder: " + ec.message());
        // Hidden files and folders (.git, editor backups) are not part of a text collection.
        if (it->path().filename().string().rfind('.', 0) == 0) {
          if (it->is_directory(ec))
            it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file(ec))
          paths.push_back(it->path().string());
      }
      std::sort(paths.begin(), paths.end());
      for (auto& path : paths)
        s.files.push_back({std::move(path), set, false});
    } else {
      const bool jsonl = is_jsonl_path(input.path);
      s.files.push_back({input.path, input.set_name.empty() ? file_stem(input.path) : input.set_name, jsonl});
    }
  }
}

CorpusReader::~CorpusReader() = default;

void CorpusReader::set_problem_callback(std::function<void(const CorpusProblem&)> callback) {
  m_state->callback = std::move(callback);
}

bool CorpusReader::next(CorpusDocument& document) {
  auto& s = *m_state;
  while (true) {
    if (s.jsonl) {
      bool got = false;
      try {
        got = s.jsonl->read_line(s.line);
      } catch (const std::runtime_error& e) {
        // A truncated or corrupt .zst: the lines before the damage were read; the rest of the file is lost.
        const std::string path = s.jsonl_item->path;
        const int64_t line = s.jsonl->line_number() + 1;
        const std::string what = without_path(e.what(), path);
        s.close_jsonl();
        s.problem(path, line, what + "; the rest of the file is skipped");
        continue;
      }
      if (!got) {
        s.close_jsonl();
        continue;
      }
      if (s.parse_line(document)) {
        ++s.stats.documents;
        s.stats.text_bytes += static_cast<int64_t>(document.text.size());
        return true;
      }
      continue;
    }
    if (s.next_file == s.files.size())
      return false;
    const FileItem& item = s.files[s.next_file++];
    if (item.jsonl) {
      try {
        s.jsonl = std::make_unique<StreamReader>(item.path, is_zstd_path(item.path));
        s.jsonl_item = &item;
        ++s.stats.files;
      } catch (const std::runtime_error& e) {
        s.problem(item.path, 0, without_path(e.what(), item.path));
      }
      continue;
    }
    if (s.read_whole_file(item, document)) {
      ++s.stats.documents;
      s.stats.text_bytes += static_cast<int64_t>(document.text.size());
      return true;
    }
  }
}

const CorpusStats& CorpusReader::stats() const {
  return m_state->stats;
}

// ---------------------------------------------------------------------------------------------------------
// Writer

struct CorpusWriter::State {
  std::string path;
  std::unique_ptr<StreamWriter> out;
  int64_t documents = 0, text_bytes = 0;
  std::string line;
};

CorpusWriter::CorpusWriter(const std::string& path, int zstd_level) : m_state(std::make_unique<State>()) {
  if (!is_jsonl_path(path))
    throw std::invalid_argument("corpus output " + path +
                                " must end in .jsonl or .jsonl.zst (Pile-format JSON lines)");
  m_state->path = path;
  m_state->out = std::make_unique<StreamWriter>(path, is_zstd_path(path), zstd_level);
}

CorpusWriter::~CorpusWriter() = default;

void CorpusWriter::add(std::string_view text, std::string_view set_name) {
  auto& s = *m_state;
  for (const auto value : {text, set_name}) {
    if (const auto bad = first_invalid_utf8(value))
      throw std::invalid_argument("corpus output " + s.path + ": document " +
                                  std::to_string(s.documents + 1) +
                                  (value.data() == text.data() ? " text" : " set name") +
                                  " is not valid UTF-8 (byte " + std::to_string(*bad) + ")");
  }
  // The Pile's own layout (Python's json.dumps): {"text": "...", "meta": {"pile_set_name": "..."}}.
  s.line = "{\"text\": ";
  s.line += nlohmann::json(text).dump();
  s.line += ", \"meta\": {\"pile_set_name\": ";
  s.line += nlohmann::json(set_name).dump();
  s.line += "}}\n";
  s.out->write(s.line);
  ++s.documents;
  s.text_bytes += static_cast<int64_t>(text.size());
}

int64_t CorpusWriter::documents() const {
  return m_state->documents;
}
int64_t CorpusWriter::text_bytes() const {
  return m_state->text_bytes;
}
int64_t CorpusWriter::finish() {
  return m_state->out->finish();
}

}  // namespace zoolab
