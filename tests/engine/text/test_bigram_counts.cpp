// Tests for engine/text/bigram_counts: counting adjacent pairs, the .zbg round trip and damaged files.

#include <gtest/gtest.h>

#include "engine/text/bigram_counts.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab {
namespace {

using text_test::contains;
using text_test::error_of;
using text_test::read_file;
using text_test::TempDir;
using text_test::write_file;

TEST(BigramCounts, CountsEveryAdjacentPairOfEachRun) {
  BigramCounts counts(10);
  const std::vector<int32_t> a = {1, 2, 1, 2, 3};
  const std::vector<int32_t> b = {3, 1, 2};
  counts.add(a.data(), static_cast<int64_t>(a.size()));
  counts.add(b.data(), static_cast<int64_t>(b.size()));
  EXPECT_EQ(counts.count(1, 2), 3u);
  EXPECT_EQ(counts.count(2, 1), 1u);
  EXPECT_EQ(counts.count(2, 3), 1u);
  EXPECT_EQ(counts.count(3, 1), 1u);
  EXPECT_EQ(counts.count(3, 3), 0u);  // the runs are not joined: (3 | 3) never occurs
  EXPECT_EQ(counts.count(-1, 2), 0u);
  EXPECT_EQ(counts.count(1, 10), 0u);
  EXPECT_EQ(counts.distinct(), 4);
  EXPECT_EQ(counts.vocab_size(), 10);
  const std::vector<int32_t> bad = {1, 10};
  const std::string message = error_of([&] { counts.add(bad.data(), 2); });
  EXPECT_TRUE(contains(message, "token 10 is outside the vocabulary of 10")) << message;
  EXPECT_EQ(counts.count(1, 2), 3u);  // nothing of the bad run was counted
}

TEST(BigramCounts, SaveLoadRoundTripWithLargeVocabulary) {
  TempDir dir;
  const std::string path = dir.file("bigrams.zbg");
  BigramCounts counts(100000);
  std::vector<int32_t> run;
  for (int i = 0; i < 5000; ++i)
    run.push_back((i * 7919) % 99991);
  counts.add(run.data(), static_cast<int64_t>(run.size()));
  counts.add(run.data(), 100);
  counts.save(path);
  const BigramCounts loaded = BigramCounts::load(path);
  EXPECT_EQ(loaded.vocab_size(), 100000);
  EXPECT_EQ(loaded.distinct(), counts.distinct());
  for (size_t i = 1; i < run.size(); ++i)
    ASSERT_EQ(loaded.count(run[i - 1], run[i]), counts.count(run[i - 1], run[i])) << i;
  EXPECT_EQ(loaded.count(run[0], run[1]), 2u);
  EXPECT_EQ(loaded.count(run[200], run[201]), 1u);
}

class DamagedBigrams : public ::testing::Test {
 protected:
  void SetUp() override {
    path = dir.file("bigrams.zbg");
    BigramCounts counts(50);
    const std::vector<int32_t> run = {1, 2, 3, 1, 2};
    counts.add(run.data(), 5);
    counts.save(path);
    bytes = read_file(path);
  }
  std::string load_error(const std::string& damaged) {
    write_file(path, damaged);
    return error_of([&] { BigramCounts::load(path); });
  }
  TempDir dir;
  std::string path, bytes;
};

TEST_F(DamagedBigrams, BadMagicVersionTruncation) {
  std::string damaged = bytes;
  damaged[3] = 'X';
  std::string message = load_error(damaged);
  EXPECT_TRUE(contains(message, path) && contains(message, "bad magic number")) << message;

  damaged = bytes;
  damaged[4] = 9;
  message = load_error(damaged);
  EXPECT_TRUE(contains(message, path) && contains(message, "unsupported version 9")) << message;

  message = load_error(bytes.substr(0, bytes.size() - 3));
  EXPECT_TRUE(contains(message, path) && contains(message, "truncated: the header promises 3 records"))
      << message;

  message = load_error(bytes.substr(0, 6));
  EXPECT_TRUE(contains(message, path) && contains(message, "truncated (6 bytes")) << message;
}

TEST_F(DamagedBigrams, ACorruptCountIsCaught) {
  std::string damaged = bytes;
  damaged[damaged.size() - 8] = 7;  // the last record's count: 1 → 7
  std::string message = load_error(damaged);
  EXPECT_TRUE(contains(message, "the counts add up to 10, the header says 4")) << message;
  EXPECT_TRUE(contains(load_error(bytes.substr(0, bytes.size() - 16) + bytes.substr(bytes.size() - 32, 16)),
                       "keys not increasing"));
  message = error_of([] { BigramCounts::load("/nonexistent/zoolab/b.zbg"); });
  EXPECT_TRUE(contains(message, "/nonexistent/zoolab/b.zbg: cannot open")) << message;
}

}  // namespace
}  // namespace zoolab
