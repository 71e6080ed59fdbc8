// BpeTokenizer's files (engine/text/byte_level_bpe.h): Hugging Face tokenizer.json in both merge
// spellings, the save_json → from_tokenizer_json round trip, and the messages for missing or garbled
// files; the per-thread word caches (several threads, several tokenizers, one dying and another
// taking its place).

#include <gtest/gtest.h>

#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/text/zstd_stream.h"
#include "engine/util/input_error.h"
#include "tests/engine/text/bpe_test_support.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab::text_test {
namespace {

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
  EXPECT_TRUE(contains(message, "has id 261; with 261 tokens in the file the ids must be 0..260 (no gaps)"))
      << message;
  // A gap below the number of entries (here the end-of-text token is listed twice).
  json["added_tokens"].push_back(json["added_tokens"][0]);
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

TEST(BpeTokenizerFiles, JsonIsReadStrictly) {
  // Found by tests/fuzz (gpt2_tokenizer): a number past a double's range escaped as nlohmann's
  // out_of_range, which is not a std::runtime_error.
  TempDir dir;
  nlohmann::json bytes = nlohmann::json::object();
  for (int b = 0; b < 256; ++b)
    bytes[bytes_to_gpt2_alphabet(std::string(1, static_cast<char>(b)))] = b;
  std::string encoder = bytes.dump();
  encoder.insert(1, "\"huge\": 1e400, ");
  write_file(dir.file("encoder.json"), encoder);
  write_file(dir.file("vocab.bpe"), "#version: 0.2\n");
  EXPECT_THROW(BpeTokenizer::load(dir.path().string()), std::runtime_error);
  const std::string message = error_of([&] { BpeTokenizer::load(dir.path().string()); });
  EXPECT_TRUE(contains(message, "encoder.json: not valid JSON")) << message;
  // A key given twice is refused rather than silently replaced.
  encoder = bytes.dump();
  encoder.insert(1, "\"a\": 0, ");
  write_file(dir.file("encoder.json"), encoder);
  EXPECT_TRUE(contains(error_of([&] { BpeTokenizer::load(dir.path().string()); }), "duplicate key \"a\""));
  write_file(dir.file("deep.json"), std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_THROW(BpeTokenizer::from_tokenizer_json(dir.file("deep.json")), std::runtime_error);
}

TEST(BpeTokenizerFiles, MalformedAddedTokensNameTheFile) {
  TempDir dir;
  const auto added_error = [&](const nlohmann::json& added_tokens) {
    auto json = small_tokenizer_json(false);
    json["added_tokens"] = added_tokens;
    write_file(dir.file("added.json"), json.dump());
    return error_of([&] { BpeTokenizer::load(dir.file("added.json")); });
  };
  std::string message = added_error({{{"id", 261}, {"content", 7}, {"special", true}}});
  EXPECT_TRUE(contains(message, dir.file("added.json") + ": added_tokens entry")) << message;
  EXPECT_TRUE(contains(message, "\"content\" is 7, not a string")) << message;
  message = added_error({{{"id", 261}, {"content", "<|endoftext|>"}, {"special", "yes"}}});
  EXPECT_TRUE(contains(message, dir.file("added.json") + ": added_tokens entry")) << message;
  EXPECT_TRUE(contains(message, "\"special\" is \"yes\", not true or false")) << message;
  message = added_error({{"id", 261}});
  EXPECT_TRUE(contains(message, dir.file("added.json") + ": added_tokens is")) << message;
  EXPECT_TRUE(contains(message, "not an array")) << message;
  // Without "special" an added token counts as special, as Hugging Face's do.
  auto json = small_tokenizer_json(false);
  json["added_tokens"] = {{{"id", 261}, {"content", "<|endoftext|>"}}};
  write_file(dir.file("plain.json"), json.dump());
  EXPECT_EQ(BpeTokenizer::load(dir.file("plain.json")).end_of_text(), 261);
}

// Tokenizer files are input from outside: strict JSON, ids bounded by what the file defines, and every
// refusal an InputError (exit code 2 in zoolab-cli).
TEST(BpeTokenizerFiles, HostileFilesAreRefusedBeforeAllocating) {
  TempDir dir;
  const auto load_error = [&](const std::string& text) -> std::string {
    write_file(dir.file("hostile.json"), text);
    try {
      BpeTokenizer::load(dir.file("hostile.json"));
    } catch (const InputError& e) {
      return e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not an InputError: " << e.what();
      return e.what();
    }
    ADD_FAILURE() << "no InputError";
    return "";
  };
  // One id of 10^8 in a 9 KB file used to size a table of 10^8 tokens (3.3 GB).
  auto json = small_tokenizer_json(false);
  json["model"]["vocab"]["far"] = 100000000;
  std::string message = load_error(json.dump());
  EXPECT_TRUE(
      contains(message, "token 'far' has id 100000000; with 263 tokens in the file the ids must be 0..262"))
      << message;
  json = small_tokenizer_json(false);
  json["added_tokens"][0]["id"] = 2147483647;
  message = load_error(json.dump());
  EXPECT_TRUE(contains(message, "has id 2147483647")) << message;
  // A key given twice used to keep the later one.
  message = load_error(R"({"model": {"type": "BPE"}, "model": {"type": "BPE"}})");
  EXPECT_TRUE(contains(message, "duplicate key \"model\" at the top level")) << message;
  message = load_error(std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_TRUE(contains(message, "nested deeper than 64 levels")) << message;
  // Control characters in a token are escaped in the message.
  json = small_tokenizer_json(false);
  json["model"]["vocab"]["\x1b[31m"] = 100000000;
  message = load_error(json.dump());
  EXPECT_TRUE(contains(message, "token '\\x1b[31m' has id")) << message;
  EXPECT_FALSE(contains(message, "\x1b")) << message;
}

// Two tokenizers that split the same word differently: a cache shared between them would hand one the
// other's ids.
BpeTokenizer tokenizer_with_merges(const std::vector<std::pair<std::string, std::string>>& merges) {
  std::vector<std::string> vocab;
  for (int b = 0; b < 256; ++b)
    vocab.push_back(bytes_to_gpt2_alphabet(std::string(1, static_cast<char>(b))));
  for (const auto& [left, right] : merges)
    vocab.push_back(left + right);
  return BpeTokenizer(vocab, merges);
}

using Merges = std::vector<std::pair<std::string, std::string>>;
const Merges kHe = {{"h", "e"}};  // "hello" → he l l o
const Merges kLl = {{"l", "l"}};  // "hello" → h e ll o

TEST(BpeTokenizerCache, InstancesAndThreadsNeverShareEntries) {
  const BpeTokenizer he = tokenizer_with_merges(kHe);
  const BpeTokenizer ll = tokenizer_with_merges(kLl);
  const std::vector<int32_t> he_ids = {256, 'l', 'l', 'o'};
  const std::vector<int32_t> ll_ids = {'h', 'e', 256, 'o'};
  // Alternating on one thread: each call must use its own tokenizer's entries.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(he.encode("hello"), he_ids) << i;
    ASSERT_EQ(ll.encode("hello"), ll_ids) << i;
  }
  // A tokenizer that dies, and one (often at the same address) with other merges that takes its place.
  std::optional<BpeTokenizer> slot;
  for (int i = 0; i < 6; ++i) {
    slot.reset();
    slot.emplace(tokenizer_with_merges(i % 2 == 0 ? kHe : kLl));
    ASSERT_EQ(slot->encode("hello"), i % 2 == 0 ? he_ids : ll_ids) << i;
    ASSERT_EQ(slot->encode("hello"), i % 2 == 0 ? he_ids : ll_ids) << i;  // now from the cache
  }
  // More tokenizers than a thread keeps caches for, used round-robin, still give their own ids.
  std::vector<BpeTokenizer> many;
  for (int i = 0; i < 7; ++i)
    many.push_back(tokenizer_with_merges(i % 2 == 0 ? kHe : kLl));
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < many.size(); ++i)
      ASSERT_EQ(many[i].encode("hello"), i % 2 == 0 ? he_ids : ll_ids) << round << " " << i;
  }
}

TEST(BpeTokenizerCache, ThreadsEncodingWithTwoTokenizersGetTheirOwnIds) {
  const BpeTokenizer he = tokenizer_with_merges(kHe);
  const BpeTokenizer ll = tokenizer_with_merges(kLl);
  // The expected ids, from other instances on this thread.
  const auto text_of = [](int i) { return "hello hell w" + std::to_string(i) + "llhe"; };
  constexpr int kTexts = 1500;
  std::vector<std::vector<int32_t>> he_expected, ll_expected;
  {
    const BpeTokenizer he_reference = tokenizer_with_merges(kHe);
    const BpeTokenizer ll_reference = tokenizer_with_merges(kLl);
    for (int i = 0; i < kTexts; ++i) {
      he_expected.push_back(he_reference.encode(text_of(i)));
      ll_expected.push_back(ll_reference.encode(text_of(i)));
    }
  }
  ASSERT_EQ(he_expected[0][0], 256);
  ASSERT_EQ(ll_expected[0][0], 'h');
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2; ++round) {  // the second round reads the caches
        for (int i = 0; i < kTexts; ++i) {
          const bool he_first = (i + t) % 2 == 0;
          const auto first = (he_first ? he : ll).encode(text_of(i));
          const auto second = (he_first ? ll : he).encode(text_of(i));
          const auto& a = he_first ? first : second;
          const auto& b = he_first ? second : first;
          mismatches[static_cast<size_t>(t)] +=
              (a != he_expected[static_cast<size_t>(i)]) + (b != ll_expected[static_cast<size_t>(i)]);
        }
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

}  // namespace
}  // namespace zoolab::text_test
