// Tests for engine/text/corpus: Pile-format JSON lines (plain and .zst), folders of text files, and bad
// input (malformed lines, missing "text", invalid UTF-8, truncated .zst) skipped with a report naming
// file and line, or refused.

#include <gtest/gtest.h>

#include <zstd.h>

#include "engine/text/corpus.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab::text_test {
namespace {

std::vector<CorpusDocument> read_all(CorpusReader& reader) {
  std::vector<CorpusDocument> out;
  CorpusDocument document;
  while (reader.next(document))
    out.push_back(document);
  return out;
}

std::vector<std::string> problem_strings(const CorpusStats& stats) {
  std::vector<std::string> out;
  for (const auto& p : stats.problem_list)
    out.push_back(p.to_string());
  return out;
}

// A hand-made file with one problem of each kind between good lines.
std::string messy_jsonl() {
  return "{\"text\": \"first\", \"meta\": {\"pile_set_name\": \"Pile-CC\"}}\n"  // 1 good
         "{\"text\": \"broken\", \"meta\": \n"                                  // 2 malformed
         "\n"                                                                   // 3 blank: not a document
         "{\"meta\": {\"pile_set_name\": \"x\"}}\n"                             // 4 no text
         "{\"text\": 42}\n"                                                     // 5 text not a string
         "{\"text\": \"bad \xff byte\"}\n"                                      // 6 invalid UTF-8
         "[\"text\"]\n"                                                         // 7 not an object
         "{\"text\": \"second\\nline \\u00e9\"}\n";                             // 8 good, no meta
}

TEST(Corpus, WriterAndReaderRoundTripPileFormat) {
  TempDir dir;
  const std::vector<std::pair<std::string, std::string>> documents = {
      {"Hello, world.", "Pile-CC"},
      {"quotes \" and \\ backslashes\nand a new line\ttab", "Github"},
      {"", "Empty"},
      {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "Unicode"}};
  for (const std::string name : {"out.jsonl", "out.jsonl.zst"}) {
    CorpusWriter writer(dir.file(name));
    for (const auto& [text, set] : documents)
      writer.add(text, set);
    EXPECT_EQ(writer.documents(), 4);
    EXPECT_GT(writer.finish(), 0);
    CorpusReader reader({{dir.file(name), ""}}, OnBadInput::Refuse);
    const auto got = read_all(reader);
    ASSERT_EQ(got.size(), documents.size()) << name;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].text, documents[i].first) << name << " " << i;
      EXPECT_EQ(got[i].set_name, documents[i].second) << name << " " << i;
      EXPECT_EQ(got[i].source, dir.file(name));
      EXPECT_EQ(got[i].line, static_cast<int64_t>(i) + 1);
    }
    EXPECT_EQ(reader.stats().documents, 4);
    EXPECT_EQ(reader.stats().problems, 0);
    EXPECT_EQ(reader.stats().files, 1);
  }
  // The Pile's own layout, text first.
  EXPECT_EQ(read_file(dir.file("out.jsonl")).substr(0, 64),
            "{\"text\": \"Hello, world.\", \"meta\": {\"pile_set_name\": \"Pile-CC\"}}\n");
}

TEST(Corpus, WriterRefusesBadUtf8AndOtherExtensions) {
  TempDir dir;
  CorpusWriter writer(dir.file("w.jsonl"));
  std::string message = error_of([&] { writer.add("ok \xc3", "set"); });
  EXPECT_TRUE(contains(message, "document 1 text is not valid UTF-8 (byte 3)")) << message;
  message = error_of([&] { writer.add("ok", "\xff"); });
  EXPECT_TRUE(contains(message, "document 1 set name is not valid UTF-8")) << message;
  message = error_of([&] { CorpusWriter bad(dir.file("w.txt")); });
  EXPECT_TRUE(contains(message, "must end in .jsonl or .jsonl.zst")) << message;
}

TEST(Corpus, SkipReportsEveryBadLineWithFileAndLine) {
  TempDir dir;
  const std::string path = dir.file("messy.jsonl");
  write_file(path, messy_jsonl());
  CorpusReader reader({{path, ""}}, OnBadInput::Skip);
  std::vector<std::string> live;
  reader.set_problem_callback([&](const CorpusProblem& p) { live.push_back(p.to_string()); });
  const auto got = read_all(reader);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].text, "first");
  EXPECT_EQ(got[0].set_name, "Pile-CC");
  EXPECT_EQ(got[0].line, 1);
  EXPECT_EQ(got[1].text, "second\nline \xc3\xa9");
  EXPECT_EQ(got[1].set_name, "messy");  // no meta: the file's name
  EXPECT_EQ(got[1].line, 8);

  const auto problems = problem_strings(reader.stats());
  ASSERT_EQ(problems.size(), 5u);
  EXPECT_TRUE(
      contains(problems[0], path + ":2: malformed JSON: parse error at line 1, column 28: syntax error"))
      << problems[0];
  EXPECT_EQ(problems[1], path + ":4: no \"text\" field (expected {\"text\": \"...\", \"meta\": {...}})");
  EXPECT_EQ(problems[2], path + ":5: \"text\" is not a string (it is number)");
  EXPECT_EQ(problems[3], path + ":6: invalid UTF-8 (byte 0xFF at column 15)");
  EXPECT_EQ(problems[4],
            path + ":7: the line is not a JSON object (expected {\"text\": ..., \"meta\": {...}})");
  EXPECT_EQ(live, problems);
  EXPECT_EQ(reader.stats().problems, 5);
  EXPECT_EQ(reader.stats().documents, 2);
  EXPECT_EQ(reader.stats().text_bytes, 5 + 14);
  EXPECT_EQ(reader.stats().file_bytes, static_cast<int64_t>(messy_jsonl().size()));
}

TEST(Corpus, RefuseThrowsAtTheFirstProblem) {
  TempDir dir;
  const std::string path = dir.file("messy.jsonl");
  write_file(path, messy_jsonl());
  CorpusReader reader({{path, ""}}, OnBadInput::Refuse);
  CorpusDocument document;
  ASSERT_TRUE(reader.next(document));
  EXPECT_EQ(document.text, "first");
  try {
    reader.next(document);
    FAIL() << "expected a CorpusError";
  } catch (const CorpusError& e) {
    EXPECT_EQ(e.problem().file, path);
    EXPECT_EQ(e.problem().line, 2);
    EXPECT_TRUE(contains(e.what(), path + ":2: malformed JSON")) << e.what();
  }
}

TEST(Corpus, TruncatedZstIsReportedAndTheNextInputStillRead) {
  TempDir dir;
  const std::string whole = dir.file("whole.jsonl.zst");
  {
    CorpusWriter writer(whole);
    for (int i = 0; i < 3000; ++i)
      writer.add(
          "document number " + std::to_string(i) + " " + std::string(static_cast<size_t>(i % 200), 'x'),
          "Books3");
    writer.finish();
  }
  const std::string bytes = read_file(whole);
  const std::string cut = dir.file("cut.jsonl.zst");
  write_file(cut, bytes.substr(0, bytes.size() * 2 / 3));
  const std::string after = dir.file("after.jsonl");
  write_file(after, "{\"text\": \"still read\"}\n");

  CorpusReader reader({{cut, ""}, {after, "Named"}}, OnBadInput::Skip);
  const auto got = read_all(reader);
  ASSERT_GT(got.size(), 1000u);  // the intact part
  ASSERT_LT(got.size(), 3000u);
  for (size_t i = 0; i + 1 < got.size(); ++i)
    ASSERT_EQ(got[i].line, static_cast<int64_t>(i) + 1);
  EXPECT_EQ(got.back().text, "still read");
  EXPECT_EQ(got.back().set_name, "Named");
  const auto problems = problem_strings(reader.stats());
  ASSERT_EQ(problems.size(), 1u);
  const std::string expected = cut + ":" + std::to_string(got.size()) + ": truncated zstd stream";
  EXPECT_TRUE(contains(problems[0], expected)) << problems[0] << " vs " << expected;
  EXPECT_TRUE(contains(problems[0], "the rest of the file is skipped")) << problems[0];

  CorpusReader refusing({{cut, ""}}, OnBadInput::Refuse);
  const std::string message = error_of([&] { read_all(refusing); });
  EXPECT_TRUE(contains(message, cut + ":") && contains(message, "truncated zstd stream")) << message;
}

TEST(Corpus, FolderOfTextFilesRecursivelyInSortedOrder) {
  TempDir dir;
  const auto root = dir.path() / "gutenberg";
  write_file((root / "b.txt").string(), "Bee.\n");
  write_file((root / "a" / "z.txt").string(), "Zed in a.\n");
  write_file((root / "a" / "c.md").string(), "# C\n");
  write_file((root / ".hidden").string(), "not read");
  write_file((root / ".git" / "config").string(), "not read");
  write_file((root / "bad.txt").string(), "line one\nline two has \xc0\xaf here\n");
  {
    // A compressed text file is decompressed.
    const std::string text = "squeezed text\n";
    std::string packed(ZSTD_compressBound(text.size()), '\0');
    packed.resize(ZSTD_compress(packed.data(), packed.size(), text.data(), text.size(), 3));
    write_file((root / "s.txt.zst").string(), packed);
  }

  CorpusReader reader({{root.string() + "/", ""}}, OnBadInput::Skip);
  const auto got = read_all(reader);
  ASSERT_EQ(got.size(), 4u);
  EXPECT_EQ(got[0].source, (root / "a" / "c.md").string());
  EXPECT_EQ(got[0].text, "# C\n");
  EXPECT_EQ(got[1].text, "Zed in a.\n");
  EXPECT_EQ(got[2].text, "Bee.\n");
  EXPECT_EQ(got[3].text, "squeezed text\n");
  for (const auto& d : got) {
    EXPECT_EQ(d.set_name, "gutenberg");
    EXPECT_EQ(d.line, 0);
  }
  const auto problems = problem_strings(reader.stats());
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0],
            (root / "bad.txt").string() + ":2: invalid UTF-8 (byte 0xC0 at column 14); is this a text file?");
  EXPECT_EQ(reader.stats().files, 5);

  CorpusReader named({{root.string(), "MyBooks"}}, OnBadInput::Refuse);
  CorpusDocument document;
  ASSERT_TRUE(named.next(document));
  EXPECT_EQ(document.set_name, "MyBooks");
  const std::string message = error_of([&] { read_all(named); });
  EXPECT_EQ(message,
            (root / "bad.txt").string() + ":2: invalid UTF-8 (byte 0xC0 at column 14); is this a text file?");
}

TEST(Corpus, SingleTextFileAndInputErrors) {
  TempDir dir;
  write_file(dir.file("notes.txt"), "Just one document.");
  CorpusReader reader({{dir.file("notes.txt"), ""}}, OnBadInput::Refuse);
  const auto got = read_all(reader);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].set_name, "notes");
  EXPECT_EQ(got[0].text, "Just one document.");

  std::string message = error_of([&] { CorpusReader r({{dir.file("missing"), ""}}, OnBadInput::Skip); });
  EXPECT_TRUE(contains(message, "corpus input " + dir.file("missing") + " does not exist")) << message;
  message = error_of([&] { CorpusReader r({}, OnBadInput::Skip); });
  EXPECT_TRUE(contains(message, "no input given")) << message;
  EXPECT_EQ(parse_on_bad_input("skip"), OnBadInput::Skip);
  EXPECT_EQ(parse_on_bad_input("refuse"), OnBadInput::Refuse);
  message = error_of([] { parse_on_bad_input("ignore"); });
  EXPECT_TRUE(contains(message, "\"ignore\" is not one of: skip, refuse")) << message;
}

// Lines are strict JSON: a second "text" used to replace the first silently, and nesting past the limit
// is a bad line like any other.
TEST(Corpus, LinesFollowTheStrictJsonRules) {
  TempDir dir;
  const std::string path = dir.file("strict.jsonl");
  write_file(path, std::string("{\"text\": \"kept\"}\n") + "{\"text\": \"one\", \"text\": \"two\"}\n" +
                       std::string(100000, '[') + std::string(100000, ']') + "\n");
  CorpusReader reader({{path, ""}}, OnBadInput::Skip);
  const auto got = read_all(reader);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].text, "kept");
  const auto problems = problem_strings(reader.stats());
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_TRUE(contains(problems[0], path + ":2: malformed JSON: duplicate key \"text\" at the top level"))
      << problems[0];
  EXPECT_TRUE(contains(problems[1], path + ":3: malformed JSON: JSON nested deeper than 64 levels"))
      << problems[1];
}

}  // namespace
}  // namespace zoolab::text_test
