// Tests for engine/text/zstd_stream: streaming lines through plain and zstd files, multi-frame files, and
// truncated, corrupt or empty .zst files reported with the file's name.

#include <gtest/gtest.h>

#include <zstd.h>

#include <filesystem>

#include "engine/text/zstd_stream.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab::text_test {
namespace {

// Lines of varied length, some longer than the reader's 128 KiB block, one empty.
std::vector<std::string> sample_lines() {
  std::vector<std::string> lines;
  for (int i = 0; i < 400; ++i)
    lines.push_back("line " + std::to_string(i) + " " +
                    std::string(static_cast<size_t>((i * 37) % 900), 'a' + i % 26));
  lines[7] = "";
  lines[100] = std::string(300000, 'z');
  lines[101] = "caf\xc3\xa9 \xe2\x82\xac with\r";
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += line + "\n";
  return out;
}

std::string compress(const std::string& bytes, int level = 3) {
  std::string out(ZSTD_compressBound(bytes.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), bytes.data(), bytes.size(), level);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

std::vector<std::string> all_lines(StreamReader& reader) {
  std::vector<std::string> lines;
  std::string line;
  while (reader.read_line(line))
    lines.push_back(line);
  return lines;
}

TEST(ZstdStream, WriterAndReaderRoundTripCompressedLines) {
  TempDir dir;
  const std::string path = dir.file("lines.txt.zst");
  const auto lines = sample_lines();
  StreamWriter writer(path, true);
  for (const auto& line : lines)
    writer.write(line + "\n");
  EXPECT_FALSE(std::filesystem::exists(path));
  const int64_t size = writer.finish();
  EXPECT_EQ(static_cast<int64_t>(std::filesystem::file_size(path)), size);
  EXPECT_LT(size, static_cast<int64_t>(joined(lines).size()) / 10);  // it did compress

  StreamReader reader(path, true);
  EXPECT_EQ(all_lines(reader), lines);
  EXPECT_EQ(reader.line_number(), 400);
  EXPECT_EQ(reader.file_bytes_read(), size);
  std::string line;
  EXPECT_FALSE(reader.read_line(line));
}

TEST(ZstdStream, PlainFileLinesAndALastLineWithoutNewline) {
  TempDir dir;
  const std::string path = dir.file("plain.txt");
  write_file(path, "first\n\nthird\r\nlast");
  StreamReader reader(path, false);
  EXPECT_EQ(all_lines(reader), (std::vector<std::string>{"first", "", "third\r", "last"}));
  EXPECT_EQ(reader.line_number(), 4);
  write_file(dir.file("empty.txt"), "");
  StreamReader empty(dir.file("empty.txt"), false);
  EXPECT_TRUE(all_lines(empty).empty());
}

TEST(ZstdStream, ConcatenatedFramesReadAsOneStream) {
  TempDir dir;
  const std::string path = dir.file("two.zst");
  write_file(path, compress("a\nb") + compress("c\nd\n", 19));
  StreamReader reader(path, true);
  EXPECT_EQ(all_lines(reader), (std::vector<std::string>{"a", "bc", "d"}));
}

TEST(ZstdStream, BlockReadsReturnEveryByte) {
  TempDir dir;
  const std::string path = dir.file("blocks.zst");
  const std::string content = joined(sample_lines());
  write_file(path, compress(content));
  StreamReader reader(path, true);
  std::string got;
  char block[1000];
  while (const size_t n = reader.read(block, sizeof(block)))
    got.append(block, n);
  EXPECT_EQ(got, content);
}

TEST(ZstdStream, TruncatedFileIsReportedAfterTheIntactLines) {
  TempDir dir;
  const auto lines = sample_lines();
  const std::string whole = compress(joined(lines));
  for (const size_t cut : {size_t{4}, whole.size() / 2, whole.size() - 1}) {
    const std::string path = dir.file("cut-" + std::to_string(cut) + ".jsonl.zst");
    write_file(path, whole.substr(0, cut));
    StreamReader reader(path, true);
    std::vector<std::string> got;
    std::string line;
    const std::string message = error_of([&] {
      while (reader.read_line(line))
        got.push_back(line);
    });
    EXPECT_TRUE(contains(message, path + ": truncated zstd stream")) << cut << ": " << message;
    ASSERT_LT(got.size(), lines.size()) << cut;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], lines[i]) << cut << " line " << i;
    }
    if (cut == whole.size() - 1) {
      EXPECT_GT(got.size(), 100u);  // most of the file was readable
    }
  }
}

TEST(ZstdStream, CorruptEmptyAndMissingFiles) {
  TempDir dir;
  write_file(dir.file("garbage.zst"), "this is not zstd at all\n");
  StreamReader garbage(dir.file("garbage.zst"), true);
  std::string line;
  std::string message = error_of([&] { garbage.read_line(line); });
  EXPECT_TRUE(contains(message, dir.file("garbage.zst") + ": corrupt zstd data (Unknown frame descriptor)"))
      << message;

  write_file(dir.file("empty.zst"), "");
  StreamReader empty(dir.file("empty.zst"), true);
  message = error_of([&] { empty.read_line(line); });
  EXPECT_TRUE(contains(message, "empty.zst: the file is empty, not a zstd stream")) << message;

  message = error_of([&] { StreamReader missing(dir.file("missing.zst"), true); });
  EXPECT_TRUE(contains(message, "missing.zst: cannot open")) << message;
}

TEST(ZstdStream, ChecksumCatchesAFlippedByte) {
  TempDir dir;
  const std::string path = dir.file("flipped.zst");
  {
    StreamWriter writer(path, true, 1);
    writer.write(joined(sample_lines()));
    writer.finish();
  }
  std::string bytes = read_file(path);
  bytes[bytes.size() / 2] ^= 0x5a;
  write_file(path, bytes);
  StreamReader reader(path, true);
  const std::string message = error_of([&] { all_lines(reader); });
  EXPECT_TRUE(contains(message, path + ": corrupt zstd data")) << message;
}

TEST(ZstdStream, UnfinishedWriterLeavesNoFile) {
  TempDir dir;
  {
    StreamWriter writer(dir.file("out.zst"), true);
    writer.write("some text\n");
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
  StreamWriter plain(dir.file("out.txt"), false);
  plain.write("x\ny");
  EXPECT_EQ(plain.finish(), 3);
  EXPECT_EQ(read_file(dir.file("out.txt")), "x\ny");
  EXPECT_TRUE(is_zstd_path("a.jsonl.zst"));
  EXPECT_FALSE(is_zstd_path("a.jsonl"));
}

}  // namespace
}  // namespace zoolab::text_test
