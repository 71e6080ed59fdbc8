// Tests for engine/text/tokenize_corpus: a corpus through a tiny hand-made BPE into a shards folder —
// every document lands in exactly one split, in order, with end-of-text; the split is the hashed one and
// deterministic (seeds, threads); the bigram file counts the training stream; manifest and tokenizer.json
// are written; bad input is skipped with a report or refused.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/text/bigram_counts.h"
#include "engine/text/tokenize_corpus.h"
#include "tests/engine/text/text_test_support.h"

namespace zoolab::text_test {
namespace {

// The 256 bytes (id = byte), "he" (256), "ll" (257), "<|endoftext|>" (258).
BpeTokenizer tiny_tokenizer() {
  std::vector<std::string> vocab;
  for (int b = 0; b < 256; ++b)
    vocab.push_back(bytes_to_gpt2_alphabet(std::string(1, static_cast<char>(b))));
  vocab.push_back("he");
  vocab.push_back("ll");
  vocab.push_back("<|endoftext|>");
  return BpeTokenizer(vocab, {{"h", "e"}, {"l", "l"}}, {"<|endoftext|>"});
}

std::string document_text(int i) {
  return "hello world " + std::to_string(i) + (i % 3 == 0 ? " shell" : "");
}

// A corpus of `n` documents "hello world i ..." as a .jsonl.
std::string write_corpus(const TempDir& dir, int n) {
  const std::string path = dir.file("corpus.jsonl");
  CorpusWriter writer(path);
  for (int i = 0; i < n; ++i)
    writer.add(document_text(i), "Test");
  writer.finish();
  return path;
}

std::vector<int64_t> all_tokens(const std::string& path) {
  const TokenShard shard(path);
  std::vector<int64_t> out(static_cast<size_t>(shard.size()));
  shard.read(0, shard.size(), out.data());
  return out;
}

// The documents of a shard, decoded, split at end-of-text.
std::vector<std::string> documents_of(const std::string& path, const BpeTokenizer& tokenizer) {
  std::vector<std::string> out;
  std::vector<int32_t> current;
  for (const int64_t t : all_tokens(path)) {
    if (t == 258) {
      out.push_back(tokenizer.decode(current));
      current.clear();
    } else {
      current.push_back(static_cast<int32_t>(t));
    }
  }
  EXPECT_TRUE(current.empty()) << "the shard does not end with end-of-text";
  return out;
}

TEST(TokenizeCorpus, SplitsDocumentsIntoTrainAndValidShards) {
  TempDir dir;
  const auto tokenizer = tiny_tokenizer();
  const std::string corpus = write_corpus(dir, 200);
  const std::string out = dir.file("shards");
  TokenizeOptions options;
  options.valid_fraction = 0.05;
  options.seed = 7;
  options.tokenizer_source = "tiny";
  const auto report = tokenize_corpus({{corpus, ""}}, tokenizer, out, options);

  EXPECT_EQ(report.valid.documents, 10);
  EXPECT_EQ(report.train.documents, 190);
  const auto folder = shards_folder(out);
  const auto train_docs = documents_of(folder.train, tokenizer);
  const auto valid_docs = documents_of(folder.valid, tokenizer);
  ASSERT_EQ(train_docs.size(), 190u);
  ASSERT_EQ(valid_docs.size(), 10u);
  // The split is the hashed one, and each split keeps the corpus order.
  const uint64_t threshold = validation_threshold(200, 10, 7);
  size_t t = 0, v = 0;
  for (int i = 0; i < 200; ++i) {
    if (split_hash(i, 7) <= threshold)
      EXPECT_EQ(valid_docs.at(v++), document_text(i)) << i;
    else
      EXPECT_EQ(train_docs.at(t++), document_text(i)) << i;
  }
  // "hello" is he + ll + o: the merges were applied.
  const auto train_tokens = all_tokens(folder.train);
  EXPECT_EQ(std::vector<int64_t>(train_tokens.begin(), train_tokens.begin() + 3),
            (std::vector<int64_t>{256, 257, 'o'}));
  EXPECT_EQ(TokenShard(folder.train).info().end_of_text, 258);
  EXPECT_EQ(TokenShard(folder.train).info().vocab_size, 259);
  EXPECT_EQ(report.train.tokens + report.valid.tokens, report.corpus.text_bytes - 2 * 200 - 2 * 67 + 200);
  EXPECT_GT(report.tokens_per_second, 0);
  EXPECT_EQ(report.corpus.documents, 200);

  // The bigram file counts every adjacent pair of the training stream, across documents too.
  const auto bigrams = BigramCounts::load(folder.bigrams);
  std::map<std::pair<int64_t, int64_t>, uint64_t> expected;
  for (size_t i = 1; i < train_tokens.size(); ++i)
    ++expected[{train_tokens[i - 1], train_tokens[i]}];
  EXPECT_EQ(bigrams.distinct(), static_cast<int64_t>(expected.size()));
  for (const auto& [pair, count] : expected)
    ASSERT_EQ(bigrams.count(static_cast<int32_t>(pair.first), static_cast<int32_t>(pair.second)), count);
  uint64_t hells = 0;  // "hello" in every document, " shell" in every third
  for (int i = 0; i < 200; ++i)
    hells += split_hash(i, 7) <= threshold ? 0 : (i % 3 == 0 ? 2 : 1);
  EXPECT_EQ(bigrams.count(256, 257), hells);
  EXPECT_EQ(bigrams.count(258, 256), 189u);  // end-of-text then the next document's "he"

  const auto manifest = nlohmann::json::parse(read_file(folder.manifest));
  EXPECT_EQ(manifest["train"]["documents"], 190);
  EXPECT_EQ(manifest["valid"]["tokens"], report.valid.tokens);
  EXPECT_EQ(manifest["tokenizer"], "tiny");
  EXPECT_EQ(manifest["corpus"][0], corpus);
  EXPECT_EQ(manifest["vocab_size"], 259);
  EXPECT_EQ(manifest, report.manifest);
  const auto reloaded = BpeTokenizer::load(folder.tokenizer);
  EXPECT_EQ(reloaded.vocab_size(), 259);
  EXPECT_EQ(reloaded.encode("hello"), tokenizer.encode("hello"));
}

TEST(TokenizeCorpus, DeterministicAcrossRunsAndThreadsAndSeedsMatter) {
  TempDir dir;
  const auto tokenizer = tiny_tokenizer();
  const std::string corpus = write_corpus(dir, 300);
  TokenizeOptions options;
  options.valid_fraction = 0.1;
  tokenize_corpus({{corpus, ""}}, tokenizer, dir.file("a"), options);
  options.threads = 3;
  tokenize_corpus({{corpus, ""}}, tokenizer, dir.file("b"), options);
  options.threads = 1;
  options.seed = 1;
  tokenize_corpus({{corpus, ""}}, tokenizer, dir.file("c"), options);
  const auto a = shards_folder(dir.file("a")), b = shards_folder(dir.file("b")),
             c = shards_folder(dir.file("c"));
  EXPECT_EQ(read_file(a.train), read_file(b.train));
  EXPECT_EQ(read_file(a.valid), read_file(b.valid));
  EXPECT_EQ(read_file(a.bigrams), read_file(b.bigrams));
  EXPECT_NE(read_file(a.valid), read_file(c.valid));
  EXPECT_EQ(TokenShard(c.valid).info().documents, 30);
}

TEST(TokenizeCorpus, ValidationThresholdHoldsOutExactlyTheShare) {
  for (const int64_t n : {2, 10, 1000}) {
    for (const int64_t k : {int64_t{1}, n / 2}) {
      const uint64_t threshold = validation_threshold(n, k, 42);
      int64_t held = 0;
      for (int64_t i = 0; i < n; ++i)
        held += split_hash(i, 42) <= threshold ? 1 : 0;
      EXPECT_EQ(held, k) << n << " " << k;
    }
  }
  EXPECT_NE(split_hash(0, 1), split_hash(0, 2));
  EXPECT_NE(split_hash(1, 1), split_hash(2, 1));
  // The values themselves (computed independently in Python from SplitMix64's definition): they choose
  // every shards folder's validation documents, so they must never change.
  EXPECT_EQ(split_hash(0, 1), 0x948d09610985c16bULL);
  EXPECT_EQ(split_hash(1, 1), 0x3d7818b617dab58bULL);
  EXPECT_EQ(split_hash(12345, 42), 0xa5c851fb578663ecULL);
  EXPECT_EQ(split_hash(0, 0), 0xe131eb1d16ada6c3ULL);
}

TEST(TokenizeCorpus, AFailureHalfwayLeavesNoOldManifest) {
  TempDir dir;
  const auto tokenizer = tiny_tokenizer();
  const std::string out = dir.file("out");
  const auto folder = shards_folder(out);
  tokenize_corpus({{write_corpus(dir, 40), ""}}, tokenizer, out);
  ASSERT_TRUE(std::filesystem::exists(folder.manifest));
  const std::string old_manifest = read_file(folder.manifest);

  // A corpus that fails its first pass leaves the folder as it was: nothing new was written.
  const std::string messy = dir.file("messy.jsonl");
  write_file(messy, "{\"text\": \"hello\"}\n{oops\n{\"text\": \"hell\"}\n");
  TokenizeOptions refuse;
  refuse.on_bad_input = OnBadInput::Refuse;
  EXPECT_TRUE(contains(error_of([&] {
                         tokenize_corpus({{messy, ""}}, tokenizer, out, refuse);
                       }),
                       "malformed JSON"));
  EXPECT_EQ(read_file(folder.manifest), old_manifest);

  // A failure while the new shards are written (here: the progress callback, called after the last
  // batch, before the files are finished) leaves no manifest vouching for the mixed folder.
  TokenizeOptions failing;
  failing.on_progress = [](const TokenizeProgress&) { throw std::runtime_error("interrupted"); };
  EXPECT_EQ(error_of([&] {
              tokenize_corpus({{write_corpus(dir, 60), ""}}, tokenizer, out, failing);
            }),
            "interrupted");
  EXPECT_FALSE(std::filesystem::exists(folder.manifest));
  // A complete run writes it again.
  const auto report = tokenize_corpus({{write_corpus(dir, 60), ""}}, tokenizer, out);
  EXPECT_EQ(nlohmann::json::parse(read_file(folder.manifest))["documents"], 60);
  EXPECT_EQ(report.train.documents + report.valid.documents, 60);
}

TEST(TokenizeCorpus, BadInputSkippedWithReportOrRefused) {
  TempDir dir;
  const auto tokenizer = tiny_tokenizer();
  const std::string corpus = dir.file("messy.jsonl");
  write_file(
      corpus,
      "{\"text\": \"hello\"}\n{\"text\": \"he\xff\"}\n{oops\n{\"text\": \"shell\"}\n{\"text\": \"hell\"}\n");
  std::vector<std::string> problems;
  TokenizeOptions options;
  options.valid_fraction = 0;  // still one validation document
  options.on_problem = [&](const CorpusProblem& p) { problems.push_back(p.to_string()); };
  const auto report = tokenize_corpus({{corpus, ""}}, tokenizer, dir.file("out"), options);
  EXPECT_EQ(report.valid.documents, 1);
  EXPECT_EQ(report.train.documents, 2);
  ASSERT_EQ(problems.size(), 2u);  // reported once, by the tokenizing pass
  EXPECT_EQ(problems[0], corpus + ":2: invalid UTF-8 (byte 0xFF at column 13)");
  EXPECT_TRUE(contains(problems[1], corpus + ":3: malformed JSON")) << problems[1];
  EXPECT_EQ(report.corpus.problems, 2);
  EXPECT_EQ(report.manifest["problems"], 2);

  options.on_bad_input = OnBadInput::Refuse;
  const std::string message = error_of([&] {
    tokenize_corpus({{corpus, ""}}, tokenizer, dir.file("refused"), options);
  });
  EXPECT_EQ(message, corpus + ":2: invalid UTF-8 (byte 0xFF at column 13)");
  EXPECT_FALSE(std::filesystem::exists(dir.file("refused")));
}

TEST(TokenizeCorpus, RejectsTinyCorporaAndBadOptions) {
  TempDir dir;
  const auto tokenizer = tiny_tokenizer();
  const std::string one = dir.file("one.jsonl");
  write_file(one, "{\"text\": \"hello\"}\n");
  std::string message = error_of([&] { tokenize_corpus({{one, ""}}, tokenizer, dir.file("o")); });
  EXPECT_TRUE(contains(message, "the corpus has 1 usable document(s)")) << message;
  TokenizeOptions options;
  options.valid_fraction = 1;
  message = error_of([&] { tokenize_corpus({{one, ""}}, tokenizer, dir.file("o"), options); });
  EXPECT_TRUE(contains(message, "valid-fraction 1.000000 is out of range")) << message;
}

}  // namespace
}  // namespace zoolab::text_test
