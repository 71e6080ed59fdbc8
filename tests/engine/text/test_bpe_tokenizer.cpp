// BpeTokenizer's files (engine/text/byte_level_bpe.h): Hugging Face tokenizer.json in both merge
// spellings, the save_json → from_tokenizer_json round trip, and the messages for missing or garbled
// files.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/text/zstd_stream.h"
#include "tests/engine/text/bpe_test_support.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab {
namespace {

using text_test::contains;
using text_test::error_of;
using text_test::read_file;
using text_test::TempDir;
using text_test::write_file;

// A tiny byte-level BPE written by hand: the 256 bytes (id = byte value), then he, ll, hell, hello, Ġh.
nlohmann::json small_tokenizer_json(bool merges_as_arrays) {
  nlohmann::json vocab = nlohmann::json::object();
  for (int b = 0; b < 256; ++b)
    vocab[bytes_to_gpt2_alphabet(std::string(1, static_cast<char>(b)))] = b;
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"}, {"\u0120", "h"}};
  int id = 256;
  nlohmann::json merge_list = nlohmann::json::array();
  for (const auto& [left, right] : merges) {
    vocab[left + right] = id++;
    if (merges_as_arrays) {
      merge_list.push_back({left, right});
    } else {
      merge_list.push_back(left + " " + right);
    }
  }
  return {{"version", "1.0"},
          {"added_tokens", {{{"id", 261}, {"content", "<|endoftext|>"}, {"special", true}}}},
          {"normalizer", nullptr},
          {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"dropout", nullptr}, {"vocab", vocab}, {"merges", merge_list}}}};
}

TEST(BpeTokenizerFiles, LoadsHandWrittenHuggingFaceTokenizer) {
  TempDir dir;
  for (const bool arrays : {false, true}) {
    write_file(dir.file("tokenizer.json"), small_tokenizer_json(arrays).dump());
    const BpeTokenizer tokenizer = BpeTokenizer::load(dir.file("tokenizer.json"));
    EXPECT_EQ(tokenizer.vocab_size(), 262);
    EXPECT_EQ(tokenizer.end_of_text(), 261);
    // "hello" merges fully; in " hell" the rank-0 merge h+e takes the h before Ġ+h (rank 4) can, so
    // the space stays a byte (32); "x" is a byte.
    EXPECT_EQ(tokenizer.encode("hello hellx"), (std::vector<int32_t>{259, 32, 258, 'x'}));
    EXPECT_EQ(tokenizer.token_bytes(258), "hell");
    EXPECT_EQ(tokenizer.decode({259, 32, 258, 'x', 261}), "hello hellx<|endoftext|>");
    // A folder holding only a tokenizer.json loads too.
    EXPECT_EQ(BpeTokenizer::load(dir.path().string()).vocab_size(), 262);
  }
}

TEST(BpeTokenizerFiles, SaveJsonRoundTripGivesIdenticalIds) {
  TempDir dir;
  const BpeTokenizer& gpt2 = bpe_test::gpt2();
  gpt2.save_json(dir.file("gpt2.json"));
  const auto saved = nlohmann::json::parse(read_file(dir.file("gpt2.json")));
  EXPECT_EQ(saved["model"]["type"], "BPE");
  EXPECT_EQ(saved["model"]["merges"].size(), 50000u);
  EXPECT_EQ(saved["model"]["merges"][0], "\u0120 t");  // GPT-2's first merge
  EXPECT_EQ(saved["model"]["vocab"]["\u0120the"], 262);
  EXPECT_EQ(saved["added_tokens"][0]["content"], "<|endoftext|>");

  const BpeTokenizer loaded = BpeTokenizer::from_tokenizer_json(dir.file("gpt2.json"));
  EXPECT_EQ(loaded.vocab_size(), gpt2.vocab_size());
  EXPECT_EQ(loaded.end_of_text(), gpt2.end_of_text());
  size_t compared = 0;
  for (const auto& document : bpe_test::load_fixture()) {
    if (compared > 200000)
      break;
    const auto ids = loaded.encode(document.text);
    ASSERT_EQ(ids, document.ids) << document.title;
    compared += document.text.size();
  }
  EXPECT_GT(compared, 200000u);
  // Saving the loaded one writes the same file.
  loaded.save_json(dir.file("again.json"));
  EXPECT_EQ(read_file(dir.file("again.json")), read_file(dir.file("gpt2.json")));
}

TEST(BpeTokenizerFiles, MissingFilesAreNamed) {
  TempDir dir;
  std::string message = error_of([&] { BpeTokenizer::load(dir.file("nope.json")); });
  EXPECT_TRUE(contains(message, "nope.json")) << message;
  EXPECT_TRUE(contains(message, "does not exist")) << message;

  message = error_of([&] { BpeTokenizer::load(dir.path().string()); });  // an empty folder
  EXPECT_TRUE(contains(message, "encoder.json")) << message;
  EXPECT_TRUE(contains(message, "missing")) << message;

  write_file(dir.file("encoder.json"), R"({"a": 0})");
  message = error_of([&] { BpeTokenizer::load(dir.path().string()); });
  EXPECT_TRUE(contains(message, "vocab.bpe")) << message;
}

TEST(BpeTokenizerFiles, GarbledFilesAreExplained) {
  TempDir dir;
  const auto gpt2_error = [&](const std::string& encoder, const std::string& merges) {
    write_file(dir.file("encoder.json"), encoder);
    write_file(dir.file("vocab.bpe"), merges);
    return error_of([&] { BpeTokenizer::load(dir.path().string()); });
  };
  nlohmann::json bytes = nlohmann::json::object();
  for (int b = 0; b < 256; ++b)
    bytes[bytes_to_gpt2_alphabet(std::string(1, static_cast<char>(b)))] = b;
  nlohmann::json with_he = bytes;
  with_he["he"] = 256;

  std::string message = gpt2_error("{\"a\": 0,", "#version: 0.2\n");
  EXPECT_TRUE(contains(message, "not valid JSON")) << message;
  message = gpt2_error("[1, 2]", "#version: 0.2\n");
  EXPECT_TRUE(contains(message, "expected a JSON object")) << message;
  message = gpt2_error(R"({"a": 0, "b": 5})", "#version: 0.2\n");
  EXPECT_TRUE(contains(message, "has id 5")) << message;
  message = gpt2_error(with_he.dump(), "#version: 0.2\nh e\nthree parts here\n");
  EXPECT_TRUE(contains(message, "line 3")) << message;
  message = gpt2_error(with_he.dump(), "#version: 0.2\nh e\nq z\n");
  EXPECT_TRUE(contains(message, "merge 1 ('q z')")) << message;
  EXPECT_TRUE(contains(message, "result 'qz' is not a token")) << message;
  message = gpt2_error(R"({"a": 0})", "#version: 0.2\n");
  EXPECT_TRUE(contains(message, "no token for byte 0x0") || contains(message, "no token for byte 0x"))
      << message;
  EXPECT_TRUE(contains(message, "256 single-byte tokens")) << message;

  // tokenizer.json that is not GPT-2-like.
  auto json = small_tokenizer_json(false);
  json["model"]["type"] = "WordPiece";
  write_file(dir.file("wp.json"), json.dump());
  message = error_of([&] { BpeTokenizer::load(dir.file("wp.json")); });
  EXPECT_TRUE(contains(message, "wp.json")) << message;
  EXPECT_TRUE(contains(message, "only byte-level BPE")) << message;
  json = small_tokenizer_json(false);
  json["pre_tokenizer"]["add_prefix_space"] = true;
  write_file(dir.file("prefix.json"), json.dump());
  message = error_of([&] { BpeTokenizer::load(dir.file("prefix.json")); });
  EXPECT_TRUE(contains(message, "add_prefix_space")) << message;
  json = small_tokenizer_json(false);
  json["model"]["vocab"].erase("he");
  write_file(dir.file("gap.json"), json.dump());
  message = error_of([&] { BpeTokenizer::load(dir.file("gap.json")); });
  EXPECT_TRUE(contains(message, "no token has id 256")) << message;

  // A truncated compressed file.
  const std::string compressed = read_file(bpe_test::data_dir() + "/gpt2/vocab.bpe.zst");
  write_file(dir.file("cut/encoder.json"), bytes.dump());
  write_file(dir.file("cut/vocab.bpe.zst"), compressed.substr(0, compressed.size() / 2));
  message = error_of([&] { BpeTokenizer::load(dir.file("cut")); });
  EXPECT_TRUE(contains(message, "vocab.bpe.zst")) << message;

  const BpeTokenizer tokenizer = BpeTokenizer::from_tokenizer_json(
      (write_file(dir.file("ok.json"), small_tokenizer_json(false).dump()), dir.file("ok.json")));
  message = error_of([&] { tokenizer.decode({1, 262}); });
  EXPECT_TRUE(contains(message, "token id 262 is outside the vocabulary (ids 0..261)")) << message;
}

}  // namespace
}  // namespace zoolab
