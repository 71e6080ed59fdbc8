// Tests for engine/text/bigram_counts: counting adjacent pairs, the .zbg round trip, looking counts up
// in the file without loading it, and damaged files (every flipped bit; lying headers under valid checksums).

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "engine/text/bigram_counts.h"
#include "engine/util/input_error.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab::text_test {
namespace {

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

TEST(BigramCounts, LookupInTheFileAgreesWithLoad) {
  TempDir dir;
  const std::string path = dir.file("bigrams.zbg");
  constexpr int32_t kVocab = 50000;
  BigramCounts counts(kVocab);
  std::vector<int32_t> run;
  for (int i = 0; i < 40000; ++i)
    run.push_back(static_cast<int32_t>((static_cast<int64_t>(i) * i * 7919 + i) % kVocab));
  run.push_back(0);  // (…, 0) and (0, 0): the smallest key, the first record
  run.push_back(0);
  run.push_back(kVocab - 1);  // (0, V-1) and (V-1, V-1): the largest key, the last record
  run.push_back(kVocab - 1);
  counts.add(run.data(), static_cast<int64_t>(run.size()));
  counts.add(run.data(), 3000);  // some pairs twice
  counts.save(path);
  ASSERT_GT(counts.distinct(), 30000);
  const BigramCounts loaded = BigramCounts::load(path);

  std::vector<std::pair<int32_t, int32_t>> pairs = {{0, 0}, {kVocab - 1, kVocab - 1}, {0, kVocab - 1}};
  std::set<std::pair<int32_t, int32_t>> present;
  for (size_t i = 1; i < run.size(); ++i) {
    pairs.emplace_back(run[i - 1], run[i]);
    present.emplace(run[i - 1], run[i]);
    // Neighbours of a present key, most of them absent from the file.
    pairs.emplace_back(run[i - 1], (run[i] + 1) % kVocab);
    pairs.emplace_back(run[i], run[i - 1]);
  }
  pairs.emplace_back(1, 1);                    // absent: between the first records
  pairs.emplace_back(kVocab - 1, kVocab - 2);  // absent: just before the last record
  pairs.emplace_back(-1, 5);                   // outside the vocabulary
  pairs.emplace_back(5, kVocab);
  const std::vector<uint64_t> found = BigramCounts::lookup(path, pairs);
  ASSERT_EQ(found.size(), pairs.size());
  int64_t absent = 0;
  for (size_t k = 0; k < pairs.size(); ++k) {
    ASSERT_EQ(found[k], loaded.count(pairs[k].first, pairs[k].second))
        << k << ": (" << pairs[k].first << ", " << pairs[k].second << ")";
    ASSERT_EQ(found[k] > 0, present.count(pairs[k]) > 0) << k;
    absent += found[k] == 0 ? 1 : 0;
  }
  EXPECT_GT(absent, 10000);
  EXPECT_EQ(found[0], 1u);  // (0, 0)
  EXPECT_EQ(found[1], 1u);  // (V-1, V-1)
  EXPECT_EQ(found[2], 1u);  // (0, V-1)
  EXPECT_EQ(found[found.size() - 1], 0u);
  EXPECT_EQ(found[found.size() - 2], 0u);
  EXPECT_EQ(found[3], 2u);  // (run[0], run[1]), counted twice
  EXPECT_TRUE(BigramCounts::lookup(path, {}).empty());
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
    const std::string message = error_of([&] { BigramCounts::load(path); });
    // lookup() checks the header and the size as load() does, with the same words.
    if (checks_lookup) {
      EXPECT_EQ(error_of([&] { BigramCounts::lookup(path, {{1, 2}}); }), message);
    }
    return message;
  }
  bool checks_lookup = true;
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
  damaged[4] = 1;
  message = load_error(damaged);
  EXPECT_TRUE(contains(message, "version 1 is no longer read") &&
              contains(message, "re-run `zoolab-cli data tokenize`"))
      << message;

  // Cut short or padded: the checksum catches it; with the checksum recomputed, the record count does.
  message = load_error(bytes.substr(0, bytes.size() - 3));
  EXPECT_TRUE(contains(message, path) && contains(message, "checksum mismatch in the data")) << message;
  message = load_error(reseal(bytes.substr(0, bytes.size() - 3)));
  EXPECT_TRUE(contains(message, path) &&
              contains(message, "truncated: header field \"bigrams\" promises 3 records"))
      << message;
  message = load_error(reseal(bytes + std::string(16, '\0')));
  EXPECT_TRUE(contains(message, path) &&
              contains(message, "too long: header field \"bigrams\" promises 3 records"))
      << message;

  message = load_error(bytes.substr(0, 6));
  EXPECT_TRUE(contains(message, path) && contains(message, "truncated (6 bytes")) << message;
}

TEST_F(DamagedBigrams, EveryFlippedBitIsRefused) {
  for (size_t bit = 0; bit < 8 * bytes.size(); ++bit) {
    std::string damaged = bytes;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    write_file(path, damaged);
    EXPECT_THROW(BigramCounts::load(path), InputError) << "bit " << bit;
    EXPECT_THROW(BigramCounts::lookup(path, {{1, 2}}), InputError) << "bit " << bit;
  }
}

// 16 · (2^60 + 3) wraps around to 48 bytes, the size of 3 records: refused by the checked product.
TEST_F(DamagedBigrams, ARecordCountThatWrapsAroundIsRefused) {
  const std::string message =
      load_error(with_header_json(bytes, R"({"bigrams":1152921504606846979,"tokens":4,"vocab_size":50})"));
  EXPECT_TRUE(contains(message, "truncated: header field \"bigrams\" promises 1152921504606846979 records"))
      << message;
  EXPECT_TRUE(contains(load_error(with_header_json(bytes, R"({"bigrams":3,"tokens":4,"vocab_size":-50})")),
                       "header field \"vocab_size\" is -50"));
}

TEST_F(DamagedBigrams, ACorruptCountIsCaught) {
  checks_lookup = false;  // lookup() does not add up the counts nor check every key's order
  // Records a writer got wrong, under valid checksums.
  std::string damaged = bytes;
  damaged[damaged.size() - 8] = 7;  // the last record's count: 1 → 7
  std::string message = load_error(reseal(damaged));
  EXPECT_TRUE(contains(message, "the counts add up to 10, header field \"tokens\" says 4")) << message;
  EXPECT_TRUE(
      contains(load_error(reseal(bytes.substr(0, bytes.size() - 16) + bytes.substr(bytes.size() - 32, 16))),
               "keys not increasing"));
  message = error_of([] { BigramCounts::load("/nonexistent/zoolab/b.zbg"); });
  EXPECT_TRUE(contains(message, "/nonexistent/zoolab/b.zbg: cannot open")) << message;
  message = error_of([] { BigramCounts::lookup("/nonexistent/zoolab/b.zbg", {}); });
  EXPECT_TRUE(contains(message, "/nonexistent/zoolab/b.zbg: cannot open")) << message;
  // A zero count on a record a lookup lands on is reported as load() reports it.
  damaged = bytes;
  for (int i = 0; i < 8; ++i)
    damaged[damaged.size() - 8 + i] = 0;  // the last record's count: (3, 1), key 151
  write_file(path, reseal(damaged));
  const std::string last = bytes.substr(bytes.size() - 16, 8);
  uint64_t key = 0;
  for (int i = 0; i < 8; ++i)
    key |= static_cast<uint64_t>(static_cast<unsigned char>(last[i])) << (8 * i);
  message = error_of([&] {
    BigramCounts::lookup(path, {{static_cast<int32_t>(key / 50), static_cast<int32_t>(key % 50)}});
  });
  EXPECT_TRUE(contains(message, path + ": record 2 is corrupt")) << message;
  EXPECT_EQ(BigramCounts::lookup(path, {{1, 2}}), std::vector<uint64_t>{2});  // other records still read
}

}  // namespace
}  // namespace zoolab::text_test
