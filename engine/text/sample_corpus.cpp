// The sample corpus from Debian-packaged free texts (sample_corpus.h).

#include "engine/text/sample_corpus.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "engine/text/utf8.h"

namespace zoolab {

namespace fs = std::filesystem;

namespace {

// The 66 books in the order `bible` prints them; its own abbreviations ("Ge", "1Sm") are not names a
// reader would recognise.
const char* const kBooks[] = {"Genesis",
                              "Exodus",
                              "Leviticus",
                              "Numbers",
                              "Deuteronomy",
                              "Joshua",
                              "Judges",
                              "Ruth",
                              "1 Samuel",
                              "2 Samuel",
                              "1 Kings",
                              "2 Kings",
                              "1 Chronicles",
                              "2 Chronicles",
                              "Ezra",
                              "Nehemiah",
                              "Esther",
                              "Job",
                              "Psalms",
                              "Proverbs",
                              "Ecclesiastes",
                              "Song of Solomon",
                              "Isaiah",
                              "Jeremiah",
                              "Lamentations",
                              "Ezekiel",
                              "Daniel",
                              "Hosea",
                              "Joel",
                              "Amos",
                              "Obadiah",
                              "Jonah",
                              "Micah",
                              "Nahum",
                              "Habakkuk",
                              "Zephaniah",
                              "Haggai",
                              "Zechariah",
                              "Malachi",
                              "Matthew",
                              "Mark",
                              "Luke",
                              "John",
                              "Acts",
                              "Romans",
                              "1 Corinthians",
                              "2 Corinthians",
                              "Galatians",
                              "Ephesians",
                              "Philippians",
                              "Colossians",
                              "1 Thessalonians",
                              "2 Thessalonians",
                              "1 Timothy",
                              "2 Timothy",
                              "Titus",
                              "Philemon",
                              "Hebrews",
                              "James",
                              "1 Peter",
                              "2 Peter",
                              "1 John",
                              "2 John",
                              "3 John",
                              "Jude",
                              "Revelation"};
constexpr size_t kBookCount = sizeof(kBooks) / sizeof(kBooks[0]);

bool read_whole(const fs::path& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  out = buffer.str();
  return static_cast<bool>(in) || in.eof();
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return ::access(name.c_str(), X_OK) == 0 ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return "";
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (const char c : text)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The stdout of `command` and its exit status (-1 when it could not run).
std::pair<std::string, int> run_command(const std::string& command) {
  std::FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr)
    return {"", -1};
  std::string out;
  char block[1 << 16];
  while (const size_t n = std::fread(block, 1, sizeof(block), pipe))
    out.append(block, n);
  const int status = ::pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

// The regular files (not symlinks, which duplicate others) directly in `dir`, sorted.
std::vector<fs::path> plain_files(const std::string& dir) {
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->symlink_status(ec).type() == fs::file_type::regular)
      files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

class Collector {
 public:
  Collector(CorpusWriter& writer, const SampleCorpusOptions& options, SampleCorpusReport& report)
      : m_writer(writer), m_options(options), m_report(report) {}

  SampleSource& begin(const std::string& name, const std::string& origin) {
    m_report.sources.push_back({name, origin, 0, 0});
    return m_report.sources.back();
  }
  bool full(const SampleSource& source) const {
    return m_options.max_bytes_per_source > 0 && source.bytes >= m_options.max_bytes_per_source;
  }
  // Adds a document unless it is not UTF-8 (then records why it was left out).
  void add(SampleSource& source, const std::string& text, const std::string& where) {
    if (const auto bad = first_invalid_utf8(text)) {
      m_report.skipped.push_back(where + ": not valid UTF-8 (byte " + std::to_string(*bad) + ")");
      return;
    }
    if (text.empty())
      return;
    m_writer.add(text, source.name);
    source.documents += 1;
    source.bytes += static_cast<int64_t>(text.size());
    m_report.documents += 1;
    m_report.bytes += static_cast<int64_t>(text.size());
  }

 private:
  CorpusWriter& m_writer;
  const SampleCorpusOptions& m_options;
  SampleCorpusReport& m_report;
};

void collect_bible(Collector& collector, const SampleCorpusOptions& options) {
  const std::string program = find_program(options.bible_program);
  if (program.empty()) {
    collector.begin("Bible-KJV", "not found: no program \"" + options.bible_program +
                                     "\" (install the Debian package bible-kjv)");
    return;
  }
  // -f turns pretty-printing off: one verse a line with its reference. The whole text in one range.
  const auto [out, status] = run_command(shell_quote(program) + " -f gen1:1-rev22:21 </dev/null 2>/dev/null");
  if (status != 0 || out.empty()) {
    collector.begin("Bible-KJV", "not found: `" + program + " -f gen1:1-rev22:21` failed (exit " +
                                     std::to_string(status) + "; is package bible-kjv-text installed?)");
    return;
  }
  auto& source = collector.begin("Bible-KJV", program + " (packages bible-kjv, bible-kjv-text)");
  for (const auto& [book, text] : split_bible_books(out)) {
    if (collector.full(source))
      break;
    std::string kept = text;
    // A tiny slice cuts the book at a verse boundary.
    if (options.max_bytes_per_source > 0) {
      const auto room = static_cast<size_t>(options.max_bytes_per_source - source.bytes);
      if (kept.size() > room) {
        const auto cut = kept.find('\n', room);
        if (cut != std::string::npos)
          kept.resize(cut + 1);
      }
    }
    collector.add(source, kept, "Bible-KJV " + book);
  }
}

void collect_fortunes(Collector& collector, const SampleCorpusOptions& options, SampleCorpusReport& report) {
  std::vector<fs::path> files;
  for (const auto& file : plain_files(options.fortunes_dir)) {
    if (file.extension() != ".dat" && file.extension() != ".u8")
      files.push_back(file);
  }
  if (files.empty()) {
    collector.begin("Fortunes", "not found: no fortune files in " + options.fortunes_dir +
                                    " (install the Debian package fortunes-min)");
    return;
  }
  auto& source = collector.begin("Fortunes", options.fortunes_dir + " (package fortunes-min or fortunes)");
  const auto per_document = static_cast<size_t>(std::max<int64_t>(1, options.fortunes_per_document));
  for (const auto& file : files) {
    std::string text;
    if (!read_whole(file, text)) {
      report.skipped.push_back(file.string() + ": cannot read");
      continue;
    }
    const auto fortunes = split_fortunes(text);
    for (size_t first = 0; first < fortunes.size() && !collector.full(source); first += per_document) {
      std::string document;
      for (size_t i = first; i < std::min(fortunes.size(), first + per_document); ++i)
        document += (document.empty() ? "" : "\n\n") + fortunes[i];
      collector.add(source, document + "\n", file.string() + " fortune " + std::to_string(first + 1));
    }
  }
}

void collect_files(Collector& collector, SampleSource& source, const std::vector<fs::path>& files,
                   int64_t budget, SampleCorpusReport& report) {
  for (const auto& file : files) {
    if (collector.full(source) || (budget > 0 && source.bytes >= budget))
      break;
    std::string text;
    if (!read_whole(file, text)) {
      report.skipped.push_back(file.string() + ": cannot read");
      continue;
    }
    collector.add(source, text, file.string());
  }
}

}  // namespace

const std::vector<std::string>& sample_corpus_packages() {
  static const std::vector<std::string> packages = {"bible-kjv", "bible-kjv-text", "fortunes-min"};
  return packages;
}

std::vector<std::pair<std::string, std::string>> split_bible_books(const std::string& verses) {
  std::vector<std::pair<std::string, std::string>> books;
  std::string abbreviation;
  std::istringstream lines(verses);
  std::string line;
  int64_t number = 0;
  while (std::getline(lines, line)) {
    ++number;
    if (line.empty())
      continue;
    // "1Sm3:10 And the LORD came..." → book "1Sm", chapter 3, verse 10.
    const auto space = line.find(' ');
    const std::string reference = line.substr(0, space);
    const auto colon = reference.rfind(':');
    size_t chapter_start = colon == std::string::npos ? 0 : colon;
    while (chapter_start > 0 && std::isdigit(static_cast<unsigned char>(reference[chapter_start - 1])))
      --chapter_start;
    if (space == std::string::npos || colon == std::string::npos || chapter_start == 0 ||
        chapter_start == colon || colon + 1 == reference.size())
      throw std::runtime_error("bible output line " + std::to_string(number) +
                               " is not \"BookC:V text\": " + line.substr(0, 80));
    const std::string book = reference.substr(0, chapter_start);
    if (books.empty() || book != abbreviation) {
      abbreviation = book;
      const std::string name = books.size() < kBookCount ? kBooks[books.size()] : book;
      books.emplace_back(name, name + "\n\n");
    }
    books.back().second += reference.substr(chapter_start) + line.substr(space) + "\n";
  }
  return books;
}

std::vector<std::string> split_fortunes(const std::string& file_text) {
  std::vector<std::string> fortunes;
  std::string current;
  std::istringstream lines(file_text);
  std::string line;
  const auto flush = [&] {
    while (!current.empty() && current.back() == '\n')
      current.pop_back();
    if (!current.empty())
      fortunes.push_back(current);
    current.clear();
  };
  while (std::getline(lines, line)) {
    if (line == "%")
      flush();
    else
      current += line + "\n";
  }
  flush();
  return fortunes;
}

SampleCorpusReport write_sample_corpus(CorpusWriter& writer, const SampleCorpusOptions& options) {
  SampleCorpusReport report;
  Collector collector(writer, options, report);
  collect_bible(collector, options);
  collect_fortunes(collector, options, report);

  const auto licenses = plain_files(options.licenses_dir);
  auto& licenses_source = collector.begin(
      "Licenses", licenses.empty() ? "not found: " + options.licenses_dir + " is empty or missing"
                                   : options.licenses_dir + " (package base-files)");
  collect_files(collector, licenses_source, licenses, 0, report);

  if (options.copyright_bytes > 0) {
    std::vector<fs::path> copyrights;
    std::error_code ec;
    for (fs::directory_iterator it(options.doc_dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path file = it->path() / "copyright";
      if (fs::symlink_status(file, ec).type() == fs::file_type::regular)
        copyrights.push_back(file);
    }
    std::sort(copyrights.begin(), copyrights.end());
    auto& source = collector.begin("Copyrights", options.doc_dir + "/*/copyright");
    collect_files(collector, source, copyrights, options.copyright_bytes, report);
  }

  if (report.bytes < options.min_bytes) {
    std::string found;
    for (const auto& s : report.sources)
      found += "\n  " + s.name + ": " + std::to_string(s.bytes) + " bytes, " + s.origin;
    std::string packages;
    for (const auto& p : sample_corpus_packages())
      packages += " " + p;
    throw std::runtime_error("sample corpus: found only " + std::to_string(report.bytes) +
                             " bytes of text, at least " + std::to_string(options.min_bytes) +
                             " are needed. Install the Debian packages" + packages +
                             " (packaging/sample-corpus.sh does). Sources:" + found);
  }
  return report;
}

}  // namespace zoolab
