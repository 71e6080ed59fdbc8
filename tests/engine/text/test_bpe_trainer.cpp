// The BPE trainer (engine/text/bpe_trainer.h): vocabulary size, ids, deterministic tie-breaking, round
// trips, and the incremental pair counts against a plain recount-every-merge trainer written here.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/text/bpe_trainer.h"
#include "engine/text/pretokenizer.h"
#include "tests/engine/text/bpe_test_support.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab::text_test {
namespace {

const char* kSmallText =
    "the cat sat on the mat. the dog sat on the log. that is the thing: the other cat\n"
    "and the other dog sat there; then they ate the meat, and then they slept.\n";

BpeTrainerOptions vocab_of(int64_t vocab_size) {
  BpeTrainerOptions options;
  options.vocab_size = vocab_size;
  return options;
}

BpeTokenizer train(const std::vector<std::string>& documents, int64_t vocab_size) {
  BpeTrainer trainer(vocab_of(vocab_size));
  for (const auto& document : documents)
    trainer.add_text(document);
  return trainer.train();
}

nlohmann::json saved(const BpeTokenizer& tokenizer) {
  TempDir dir;
  tokenizer.save_json(dir.file("t.json"));
  return nlohmann::json::parse(read_file(dir.file("t.json")));
}

// The merges a straightforward trainer learns: recount every pair after each merge.
std::vector<std::pair<std::string, std::string>> reference_merges(const std::vector<std::string>& documents,
                                                                  int64_t vocab_size) {
  std::map<std::string, int64_t> counts;
  for (const auto& document : documents) {
    for (const auto piece : pretokenize(document))
      ++counts[std::string(piece)];
  }
  std::vector<std::pair<std::vector<int32_t>, int64_t>> words;
  for (const auto& [word, count] : counts) {
    std::vector<int32_t> symbols;
    for (const char c : word)
      symbols.push_back(static_cast<unsigned char>(c));
    words.emplace_back(symbols, count);
  }
  std::vector<std::string> bytes(256);
  for (int b = 0; b < 256; ++b)
    bytes[b] = std::string(1, static_cast<char>(b));
  std::vector<std::pair<std::string, std::string>> merges;
  while (static_cast<int64_t>(bytes.size()) + 1 < vocab_size) {
    std::map<std::pair<int32_t, int32_t>, int64_t> pairs;  // ordered: ties go to the smallest ids
    for (const auto& [symbols, count] : words) {
      for (size_t i = 0; i + 1 < symbols.size(); ++i)
        pairs[{symbols[i], symbols[i + 1]}] += count;
    }
    if (pairs.empty())
      break;
    auto best = pairs.begin();
    for (auto it = pairs.begin(); it != pairs.end(); ++it) {
      if (it->second > best->second)
        best = it;
    }
    const auto [left, right] = best->first;
    const std::string merged = bytes[left] + bytes[right];
    const auto existing = std::find(bytes.begin(), bytes.end(), merged);
    const auto id = static_cast<int32_t>(existing - bytes.begin());
    if (existing == bytes.end())
      bytes.push_back(merged);
    merges.emplace_back(bytes_to_gpt2_alphabet(bytes[left]), bytes_to_gpt2_alphabet(bytes[right]));
    for (auto& [symbols, count] : words) {
      std::vector<int32_t> out;
      for (size_t i = 0; i < symbols.size(); ++i) {
        if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
          out.push_back(id);
          ++i;
        } else {
          out.push_back(symbols[i]);
        }
      }
      symbols = out;
    }
  }
  return merges;
}

TEST(BpeTrainer, VocabularyHasExactSizeBytesFirstAndEndOfTextLast) {
  const BpeTokenizer tokenizer = train({kSmallText}, 290);
  EXPECT_EQ(tokenizer.vocab_size(), 290);
  EXPECT_EQ(tokenizer.end_of_text(), 289);
  EXPECT_EQ(tokenizer.token_bytes(289), "<|endoftext|>");
  for (int b = 0; b < 256; ++b)
    ASSERT_EQ(tokenizer.token_bytes(b), std::string(1, static_cast<char>(b)));
  EXPECT_EQ(saved(tokenizer)["model"]["merges"].size(), 33u);  // 290 - 256 bytes - <|endoftext|>
}

TEST(BpeTrainer, FirstMergeIsTheMostFrequentPair) {
  // Pieces: "the" ×9 and " the" ×… dominate, so ("t","h") is counted most often (16 times).
  const BpeTokenizer tokenizer = train({kSmallText}, 260);
  EXPECT_EQ(tokenizer.token_bytes(256), "th");
  EXPECT_EQ(saved(tokenizer)["model"]["merges"][0], "t h");
  // Ties go to the smaller (left id, right id): in "ab cd" every pair occurs once; " c" has left 32.
  const BpeTokenizer tie = train({"ab cd"}, 258);
  EXPECT_EQ(tie.token_bytes(256), " c");
}

TEST(BpeTrainer, IsDeterministicAndIndependentOfDocumentOrder) {
  const std::vector<std::string> documents = {kSmallText, "Another document, with other words.\n",
                                              "caf\u00e9 \u4e2d\u6587 \U0001F600 123 456"};
  const auto first = saved(train(documents, 320));
  const auto again = saved(train(documents, 320));
  const auto reversed = saved(train({documents.rbegin(), documents.rend()}, 320));
  EXPECT_EQ(first, again);
  EXPECT_EQ(first, reversed);
}

TEST(BpeTrainer, EncodeDecodeRoundTripsSeenAndUnseenText) {
  const BpeTokenizer tokenizer = train({kSmallText}, 290);
  const std::string seen = kSmallText;
  const std::string unseen = "Zebras \u00e9t\u00e9 \U0001F600 9000 \xff bytes  \t\n the cat";
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(seen)), seen);
  EXPECT_EQ(tokenizer.decode(tokenizer.encode(unseen)), unseen);
  EXPECT_LT(tokenizer.encode(seen).size(), seen.size() / 2);  // the merges compress what they saw
  EXPECT_EQ(tokenizer.encode(" the"), (std::vector<int32_t>{tokenizer.encode(" the").front()}));
}

TEST(BpeTrainer, TinyCorpusStopsWhenNothingIsLeftToMerge) {
  const BpeTokenizer tokenizer = train({"abab"}, 1000);
  // "abab" → ab → abab: two tokens, then no pair is left.
  EXPECT_EQ(tokenizer.vocab_size(), 256 + 2 + 1);
  EXPECT_EQ(tokenizer.encode("abab"), (std::vector<int32_t>{257}));
  EXPECT_THROW(BpeTrainer(vocab_of(256)), std::invalid_argument);
}

TEST(BpeTrainer, IncrementalCountsMatchRecountingEveryMerge) {
  const auto fixture = bpe_test::load_fixture();
  std::vector<std::string> documents;
  for (const auto& document : fixture) {
    // The fortunes (BSD) and the multilingual document: ~100 kB with many short, varied words.
    if (document.title.find("fortunes") != std::string::npos ||
        document.title.find("extra") != std::string::npos) {
      documents.push_back(document.text);
    }
  }
  ASSERT_EQ(documents.size(), 4u);
  const int64_t vocab_size = 500;
  const auto merges = saved(train(documents, vocab_size))["model"]["merges"];
  const auto expected = reference_merges(documents, vocab_size);
  ASSERT_EQ(merges.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    ASSERT_EQ(merges[i].get<std::string>(), expected[i].first + " " + expected[i].second) << "merge " << i;
  }
}

TEST(BpeTrainer, TrainsAVocabularyOnTheFixtureQuickly) {
  BpeTrainer trainer(vocab_of(2048));
  const auto fixture = bpe_test::load_fixture();
  size_t bytes = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& document : fixture) {
    trainer.add_text(document.text);
    bytes += document.text.size();
  }
  const BpeTokenizer tokenizer = trainer.train();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ BPE      ] trained 2048 tokens on " << bytes << " bytes in " << seconds << " s\n";
  EXPECT_EQ(tokenizer.vocab_size(), 2048);
  size_t tokens = 0;
  for (const auto& document : fixture) {
    const auto ids = tokenizer.encode(document.text);
    ASSERT_EQ(tokenizer.decode(ids), document.text);
    tokens += ids.size();
  }
  EXPECT_LT(tokens, bytes / 3);  // English BPE with 2k tokens: ~4 bytes a token
  EXPECT_LT(seconds, 20.0);
}

}  // namespace
}  // namespace zoolab::text_test
