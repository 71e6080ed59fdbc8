// Tests for engine/text/token_shards: .ztok round trips in both dtypes, the header's counts, the
// checksums (every flipped bit is refused), and the messages for damaged files (they name the file and
// the problem; a header that lies about its counts with valid checksums is refused by the field).

#include <gtest/gtest.h>

#include <filesystem>

#include "engine/text/token_shards.h"
#include "engine/util/input_error.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab::text_test {
namespace {

std::vector<int64_t> read_all(const TokenShard& shard) {
  std::vector<int64_t> out(static_cast<size_t>(shard.size()));
  shard.read(0, shard.size(), out.data());
  return out;
}

TEST(TokenShards, RoundTripUint16WithEndOfText) {
  TempDir dir;
  const std::string path = dir.file("train.ztok");
  TokenShardWriter writer(path, 50257, 50256);
  writer.add_document({15496, 11, 995});
  writer.add_document({});
  writer.add_document({0, 50255});
  const TokenShardInfo written = writer.finish();
  EXPECT_EQ(written.tokens, 8);
  EXPECT_EQ(written.documents, 3);

  const TokenShard shard(path);
  EXPECT_EQ(shard.info().dtype, "uint16");
  EXPECT_EQ(shard.info().vocab_size, 50257);
  EXPECT_EQ(shard.info().end_of_text, 50256);
  EXPECT_EQ(shard.info().documents, 3);
  EXPECT_EQ(shard.size(), 8);
  EXPECT_EQ(read_all(shard), (std::vector<int64_t>{15496, 11, 995, 50256, 50256, 0, 50255, 50256}));
  // 256 bytes of header, then 2 bytes a token.
  EXPECT_EQ(std::filesystem::file_size(path), 256u + 8u * 2u);
  int64_t middle[3];
  shard.read(2, 3, middle);
  EXPECT_EQ(middle[0], 995);
  EXPECT_EQ(middle[1], 50256);
  EXPECT_EQ(middle[2], 50256);
}

TEST(TokenShards, Uint32AboveSixtyFiveThousandTokens) {
  TempDir dir;
  const std::string path = dir.file("big.ztok");
  TokenShardWriter writer(path, 65537, -1);
  writer.add_document({65536, 1, 70000 - 4464});
  writer.finish();
  const TokenShard shard(path);
  EXPECT_EQ(shard.info().dtype, "uint32");
  EXPECT_EQ(shard.info().end_of_text, -1);
  EXPECT_EQ(read_all(shard), (std::vector<int64_t>{65536, 1, 65536}));
  EXPECT_EQ(std::filesystem::file_size(path), 256u + 3u * 4u);

  // 65536 is the largest vocabulary that fits uint16.
  TokenShardWriter small(dir.file("edge.ztok"), 65536, 65535);
  small.add_document({65534});
  small.finish();
  EXPECT_EQ(TokenShard(dir.file("edge.ztok")).info().dtype, "uint16");
}

TEST(TokenShards, ManyDocumentsFlushAcrossTheBuffer) {
  TempDir dir;
  const std::string path = dir.file("many.ztok");
  TokenShardWriter writer(path, 1000, 999);
  std::vector<int64_t> expected;
  for (int d = 0; d < 3000; ++d) {
    std::vector<int32_t> doc;
    for (int i = 0; i < 200; ++i)
      doc.push_back((d * 7 + i * 13) % 999);
    writer.add_document(doc);
    expected.insert(expected.end(), doc.begin(), doc.end());
    expected.push_back(999);
  }
  writer.finish();
  const TokenShard shard(path);
  EXPECT_EQ(shard.info().documents, 3000);
  EXPECT_EQ(read_all(shard), expected);
}

TEST(TokenShards, NothingAppearsUntilFinishAndAnUnfinishedWriterLeavesNothing) {
  TempDir dir;
  const std::string path = dir.file("partial.ztok");
  {
    TokenShardWriter writer(path, 10, -1);
    writer.add_document({1, 2});
    EXPECT_FALSE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));  // the temporary file is gone too
}

TEST(TokenShards, WriterRejectsTokensOutsideTheVocabulary) {
  TempDir dir;
  TokenShardWriter writer(dir.file("a.ztok"), 10, 9);
  const std::string message = error_of([&] { writer.add_document({3, 10}); });
  EXPECT_TRUE(contains(message, "token 10 is outside the vocabulary of 10")) << message;
  EXPECT_TRUE(contains(message, dir.file("a.ztok"))) << message;
  EXPECT_TRUE(contains(error_of([&] { TokenShardWriter(dir.file("b.ztok"), 10, 10); }), "end_of_text 10"));
  EXPECT_TRUE(contains(error_of([&] { TokenShardWriter(dir.file("c.ztok"), 0, -1); }), "vocab_size 0"));
}

TEST(TokenShards, ReadOutOfRangeThrows) {
  TempDir dir;
  const std::string path = dir.file("r.ztok");
  TokenShardWriter writer(path, 100, -1);
  writer.add_document({1, 2, 3, 4});
  writer.finish();
  const TokenShard shard(path);
  int64_t out[8];
  EXPECT_NO_THROW(shard.read(4, 0, out));
  const std::string message = error_of([&] { shard.read(2, 3, out); });
  EXPECT_TRUE(contains(message, "tokens [2, 5) are outside its 4 tokens")) << message;
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_THROW(shard.read(-1, 1, out), std::out_of_range);
  EXPECT_THROW(shard.read(5, 0, out), std::out_of_range);
}

class DamagedShard : public ::testing::Test {
 protected:
  void SetUp() override {
    path = dir.file("valid.ztok");
    TokenShardWriter writer(path, 300, 299);
    writer.add_document({1, 2, 3});
    writer.finish();
    bytes = read_file(path);
  }
  std::string open_error(const std::string& damaged) {
    write_file(path, damaged);
    return error_of([&] { TokenShard shard(path); });
  }
  TempDir dir;
  std::string path, bytes;
};

TEST_F(DamagedShard, BadMagic) {
  std::string damaged = bytes;
  damaged[0] = 'X';
  const std::string message = open_error(damaged);
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_TRUE(contains(message, "bad magic number")) << message;
}

TEST_F(DamagedShard, OtherVersions) {
  std::string damaged = bytes;
  damaged[4] = 3;
  std::string message = open_error(damaged);
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_TRUE(contains(message, "unsupported version 3 (this build reads 2)")) << message;
  // Version 1 had no checksums: refused with what to do about it.
  damaged[4] = 1;
  message = open_error(damaged);
  EXPECT_TRUE(contains(message, "version 1 is no longer read")) << message;
  EXPECT_TRUE(contains(message, "re-run `zoolab-cli data tokenize`")) << message;
}

TEST_F(DamagedShard, EveryFlippedBitIsRefused) {
  ASSERT_EQ(bytes.size(), 256u + 4u * 2u);
  for (size_t bit = 0; bit < 8 * bytes.size(); ++bit) {
    std::string damaged = bytes;
    damaged[bit / 8] = static_cast<char>(damaged[bit / 8] ^ (1 << (bit % 8)));
    write_file(path, damaged);
    EXPECT_THROW(TokenShard shard(path), InputError) << "bit " << bit << " of byte " << bit / 8;
  }
}

TEST_F(DamagedShard, ChecksumMismatchesNameThePart) {
  std::string damaged = bytes;
  damaged[257] ^= 1;  // a token
  std::string message = open_error(damaged);
  EXPECT_TRUE(contains(message, path + ": checksum mismatch in the data")) << message;
  EXPECT_TRUE(contains(message, "re-run `zoolab-cli data tokenize`")) << message;
  damaged = bytes;
  damaged[30] ^= 1;  // inside the header JSON
  EXPECT_TRUE(contains(open_error(damaged), "checksum mismatch in the header"));
  // Cut short: the data's checksum catches it before the count does.
  EXPECT_TRUE(contains(open_error(bytes.substr(0, bytes.size() - 1)), "checksum mismatch in the data"));
}

TEST_F(DamagedShard, TruncatedTokens) {
  const std::string message = open_error(reseal(bytes.substr(0, bytes.size() - 1)));
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_TRUE(
      contains(message, "truncated: header field \"tokens\" promises 4 tokens of 2 bytes, only 7 bytes"))
      << message;
}

// A header whose count wraps around in 64-bit arithmetic: 4 · (2^62 + 4) is 16 mod 2^64, exactly the
// size of 4 uint32 tokens. The count must be refused, not mapped and read past the file's end.
TEST_F(DamagedShard, ATokenCountThatWrapsAroundIsRefused) {
  const std::string big = dir.file("big.ztok");
  TokenShardWriter writer(big, 70000, -1);
  writer.add_document({1, 2, 3, 69999});
  writer.finish();
  const std::string good = read_file(big);
  const std::string header = R"({"vocab_size":70000,"dtype":"uint32","tokens":4611686018427387908,)"
                             R"("documents":1,"end_of_text":-1})";
  write_file(path, with_header_json(good, header));
  const std::string message = open_error(read_file(path));
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_TRUE(contains(message, "truncated: header field \"tokens\" promises 4611686018427387908 tokens"))
      << message;
}

TEST_F(DamagedShard, HeaderFieldsOutOfRangeAreRefusedByName) {
  const auto refused = [&](const std::string& header, const std::string& expected) {
    const std::string message = open_error(with_header_json(bytes, header));
    EXPECT_TRUE(contains(message, path)) << message;
    EXPECT_TRUE(contains(message, expected)) << message;
  };
  refused(R"({"vocab_size":300,"dtype":"uint16","tokens":-4,"documents":1,"end_of_text":299})",
          "header field \"tokens\" is -4, outside the allowed range");
  refused(R"({"vocab_size":70000,"dtype":"uint16","tokens":4,"documents":1,"end_of_text":299})",
          "header field \"vocab_size\" is 70000");
  refused(R"({"vocab_size":300,"dtype":"uint16","tokens":4,"documents":1,"end_of_text":300})",
          "header field \"end_of_text\" is 300");
  refused(R"({"vocab_size":300,"dtype":"uint16","tokens":4,"documents":1})",
          "header field \"end_of_text\" is missing");
  refused(R"({"vocab_size":300,"dtype":"uint16","tokens":4.5,"documents":1,"end_of_text":299})",
          "header field \"tokens\" is 4.5, not an integer");
  refused(
      R"({"vocab_size":300,"dtype":"uint16","tokens":18446744073709551615,"documents":1,"end_of_text":299})",
      "header field \"tokens\" is 18446744073709551615, outside the allowed range");
  refused(R"({"vocab_size":300,"dtype":"\u001b[31m","tokens":4,"documents":1,"end_of_text":299})",
          "header field \"dtype\" is \"\\x1b[31m\"");
  refused(
      R"({"vocab_size":300,"vocab_size":300,"dtype":"uint16","tokens":4,"documents":1,"end_of_text":299})",
      "duplicate key \"vocab_size\"");
}

TEST_F(DamagedShard, TruncatedHeaderAndEmptyFile) {
  EXPECT_TRUE(contains(open_error(bytes.substr(0, 100)), "truncated (its header claims 236 bytes"));
  std::string damaged = bytes;
  text_test::put_u32(damaged, 8, 0xfffffff0u);  // a header length of 4 GB
  EXPECT_TRUE(contains(open_error(damaged), "header length 4294967280 is past the limit"));
  const std::string message = open_error("");
  EXPECT_TRUE(contains(message, path)) << message;
  EXPECT_TRUE(contains(message, "truncated (0 bytes")) << message;
}

TEST_F(DamagedShard, ExtraBytesAndBadDtype) {
  EXPECT_TRUE(contains(open_error(reseal(bytes + "xy")), "2 bytes more than the header's 4 tokens"));
  std::string damaged = bytes;
  damaged.replace(damaged.find("uint16"), 6, "int8  ");
  damaged = reseal(damaged);
  EXPECT_TRUE(contains(open_error(damaged), "the header is not valid JSON") ||
              contains(open_error(damaged), "header field \"dtype\""));
  damaged = bytes;
  damaged.replace(damaged.find("\"uint16\""), 8, "\"uint64\"");
  EXPECT_TRUE(contains(open_error(reseal(damaged)), "header field \"dtype\" is \"uint64\""));
}

TEST_F(DamagedShard, CorruptTokenIsReportedOnRead) {
  std::string damaged = bytes;
  damaged[256] = static_cast<char>(0xff);
  damaged[257] = static_cast<char>(0xff);
  write_file(path, reseal(damaged));
  const TokenShard shard(path);
  int64_t out[4];
  const std::string message = error_of([&] { shard.read(0, 4, out); });
  EXPECT_TRUE(contains(message, "token 65535 at 0 is outside the vocabulary of 300")) << message;
}

TEST(TokenShards, MissingFileAndFolderPaths) {
  const std::string message = error_of([] { TokenShard shard("/nonexistent/zoolab/x.ztok"); });
  EXPECT_TRUE(contains(message, "/nonexistent/zoolab/x.ztok: cannot open")) << message;
  const ShardsFolder folder = shards_folder("/data/shards");
  EXPECT_EQ(folder.train, "/data/shards/train.ztok");
  EXPECT_EQ(folder.valid, "/data/shards/valid.ztok");
  EXPECT_EQ(folder.bigrams, "/data/shards/bigrams.zbg");
  EXPECT_EQ(folder.tokenizer, "/data/shards/tokenizer.json");
  EXPECT_EQ(folder.manifest, "/data/shards/manifest.json");
}

}  // namespace
}  // namespace zoolab::text_test
