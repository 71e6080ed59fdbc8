// Tests for engine/text/sample_corpus: the Bible split into books, fortunes, and the whole collection
// from stand-in folders and a stand-in `bible` program (so the test does not depend on this machine), plus
// one check against the real Debian packages when they are installed.

#include <gtest/gtest.h>

#include <filesystem>

#include "engine/text/sample_corpus.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab::text_test {
namespace {

std::vector<CorpusDocument> read_corpus(const std::string& path) {
  CorpusReader reader({{path, ""}}, OnBadInput::Refuse);
  std::vector<CorpusDocument> out;
  CorpusDocument d;
  while (reader.next(d))
    out.push_back(d);
  return out;
}

TEST(SampleCorpus, BibleOutputSplitsIntoNamedBooks) {
  const auto books = split_bible_books(
      "Ge1:1 In the beginning God created the heaven and the earth.\n"
      "Ge50:26 So Joseph died.\n"
      "Exo1:1 Now these are the names.\n"
      "1Sm3:10 And the LORD came.\n");
  ASSERT_EQ(books.size(), 3u);
  EXPECT_EQ(books[0].first, "Genesis");
  EXPECT_EQ(books[0].second,
            "Genesis\n\n1:1 In the beginning God created the heaven and the earth.\n50:26 So Joseph died.\n");
  EXPECT_EQ(books[1].second, "Exodus\n\n1:1 Now these are the names.\n");
  EXPECT_EQ(books[2].first, "Leviticus");  // named by position: the third book bible prints
  EXPECT_EQ(books[2].second, "Leviticus\n\n3:10 And the LORD came.\n");
  const std::string message = error_of([] { split_bible_books("Ge1:1 fine\nno reference here\n"); });
  EXPECT_TRUE(contains(message, "bible output line 2 is not \"BookC:V text\"")) << message;
}

TEST(SampleCorpus, FortunesSplitOnPercentLines) {
  EXPECT_EQ(split_fortunes("One.\n%\nTwo\n  -- someone\n%\n\n%\nThree 100%\n"),
            (std::vector<std::string>{"One.", "Two\n  -- someone", "Three 100%"}));
}

class FakeSystem : public ::testing::Test {
 protected:
  void SetUp() override {
    options.bible_program = dir.file("bin/bible");
    write_file(options.bible_program,
               "#!/bin/sh\n[ \"$1\" = -f ] || exit 3\n"
               "printf 'Ge1:1 In the beginning.\\nGe1:2 And the earth.\\nExo1:1 Now these.\\n'\n");
    std::filesystem::permissions(options.bible_program, std::filesystem::perms::owner_all);
    options.fortunes_dir = dir.file("fortunes");
    std::string fortunes;
    for (int i = 0; i < 5; ++i)
      fortunes += "Fortune " + std::to_string(i) + ".\n%\n";
    write_file(options.fortunes_dir + "/cookies", fortunes);
    write_file(options.fortunes_dir + "/cookies.dat", std::string("\x02\x00\xff", 3));
    write_file(options.fortunes_dir + "/latin1", "caf\xe9\n%\n");
    options.licenses_dir = dir.file("licenses");
    write_file(options.licenses_dir + "/MIT", "Permission is hereby granted.\n");
    write_file(options.licenses_dir + "/Apache-2.0", "Apache License\n");
    std::filesystem::create_symlink(options.licenses_dir + "/MIT", options.licenses_dir + "/Expat");
    options.doc_dir = dir.file("doc");
    write_file(options.doc_dir + "/zlib/copyright", "zlib copyright\n");
    write_file(options.doc_dir + "/bash/copyright", "bash copyright\n");
    options.fortunes_per_document = 2;
    options.min_bytes = 10;
  }
  TempDir dir;
  SampleCorpusOptions options;
};

TEST_F(FakeSystem, GathersEverySourceInOrder) {
  options.copyright_bytes = 5;  // one file: the budget is crossed by the first
  const std::string path = dir.file("sample.jsonl.zst");
  CorpusWriter writer(path);
  const auto report = write_sample_corpus(writer, options);
  writer.finish();

  ASSERT_EQ(report.sources.size(), 4u);
  EXPECT_EQ(report.sources[0].name, "Bible-KJV");
  EXPECT_EQ(report.sources[0].documents, 2);
  EXPECT_EQ(report.sources[1].documents, 3);  // 5 fortunes, 2 a document
  EXPECT_EQ(report.sources[2].documents, 2);  // the symlinked licence is not read twice
  EXPECT_EQ(report.sources[3].documents, 1);
  ASSERT_EQ(report.skipped.size(), 1u);
  EXPECT_TRUE(contains(report.skipped[0], "latin1 fortune 1: not valid UTF-8 (byte 3)")) << report.skipped[0];

  const auto documents = read_corpus(path);
  ASSERT_EQ(documents.size(), 8u);
  EXPECT_EQ(report.documents, 8);
  EXPECT_EQ(documents[0].text, "Genesis\n\n1:1 In the beginning.\n1:2 And the earth.\n");
  EXPECT_EQ(documents[0].set_name, "Bible-KJV");
  EXPECT_EQ(documents[1].text, "Exodus\n\n1:1 Now these.\n");
  EXPECT_EQ(documents[2].text, "Fortune 0.\n\nFortune 1.\n");
  EXPECT_EQ(documents[2].set_name, "Fortunes");
  EXPECT_EQ(documents[4].text, "Fortune 4.\n");
  EXPECT_EQ(documents[5].text, "Apache License\n");
  EXPECT_EQ(documents[5].set_name, "Licenses");
  EXPECT_EQ(documents[7].text, "bash copyright\n");
  EXPECT_EQ(documents[7].set_name, "Copyrights");
  int64_t bytes = 0;
  for (const auto& d : documents)
    bytes += static_cast<int64_t>(d.text.size());
  EXPECT_EQ(report.bytes, bytes);
}

TEST_F(FakeSystem, TooLittleTextNamesThePackages) {
  options.bible_program = "zoolab-no-such-bible";
  options.fortunes_dir = dir.file("none");
  options.min_bytes = 1000;
  CorpusWriter writer(dir.file("small.jsonl"));
  const std::string message = error_of([&] { write_sample_corpus(writer, options); });
  EXPECT_TRUE(contains(message, "found only 45 bytes of text, at least 1000 are needed")) << message;
  EXPECT_TRUE(contains(message, "Install the Debian packages bible-kjv bible-kjv-text fortunes-min"))
      << message;
  EXPECT_TRUE(contains(message, "Bible-KJV: 0 bytes, not found: no program \"zoolab-no-such-bible\""))
      << message;
  EXPECT_TRUE(contains(message, "Fortunes: 0 bytes, not found")) << message;
}

TEST_F(FakeSystem, PerSourceLimitMakesATinySlice) {
  options.max_bytes_per_source = 12;
  CorpusWriter writer(dir.file("slice.jsonl"));
  const auto report = write_sample_corpus(writer, options);
  writer.finish();
  // The Bible's first book is cut after the verse that crosses 12 bytes; one group of fortunes; one licence.
  const auto documents = read_corpus(dir.file("slice.jsonl"));
  ASSERT_EQ(documents.size(), 3u);
  EXPECT_EQ(documents[0].text, "Genesis\n\n1:1 In the beginning.\n");
  EXPECT_EQ(report.sources[1].documents, 1);
  EXPECT_EQ(report.sources[2].documents, 1);
}

// The real thing, where packaging/install-deps.sh has installed the packages.
TEST(SampleCorpus, DebianPackagesGiveTheKingJamesBible) {
  SampleCorpusOptions options;
  if (system("command -v bible >/dev/null 2>&1") != 0 || !std::filesystem::exists("/usr/lib/bible.data"))
    GTEST_SKIP() << "packages bible-kjv and bible-kjv-text are not installed (packaging/install-deps.sh)";
  TempDir dir;
  CorpusWriter writer(dir.file("s.jsonl"));
  const auto report = write_sample_corpus(writer, options);
  ASSERT_GE(report.sources.size(), 3u);
  EXPECT_EQ(report.sources[0].documents, 66);
  EXPECT_GT(report.sources[0].bytes, 4000000);
  EXPECT_LT(report.sources[0].bytes, 5000000);
  EXPECT_GT(report.sources[2].documents, 5);  // common-licenses
  EXPECT_TRUE(report.skipped.empty()) << report.skipped.front();
}

}  // namespace
}  // namespace zoolab::text_test
