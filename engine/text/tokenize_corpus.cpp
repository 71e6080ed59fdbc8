// Corpus → token shards (tokenize_corpus.h).

#include "engine/text/tokenize_corpus.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "engine/data/rng.h"
#include "engine/text/bigram_counts.h"
#include "engine/text/zstd_stream.h"

namespace zoolab {

namespace fs = std::filesystem;

namespace {

// SplitMix64's output for the state `x` (engine/data/rng.h: one step from x, whose value it returns).
uint64_t splitmix64(uint64_t x) {
  return splitmix64_next(x);
}

// Encodes documents [0, count) of `batch` on `threads` threads, document i into tokens[i].
void encode_batch(const BpeTokenizer& tokenizer, const std::vector<CorpusDocument>& batch, size_t count,
                  int threads, std::vector<std::vector<int32_t>>& tokens) {
  const auto work = [&](size_t first) {
    for (size_t i = first; i < count; i += static_cast<size_t>(threads))
      tokens[i] = tokenizer.encode(batch[i].text);
  };
  if (threads <= 1 || count < 2) {
    work(0);
    return;
  }
  std::vector<std::thread> pool;
  std::exception_ptr failure;
  std::mutex failure_mutex;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      try {
        work(static_cast<size_t>(t));
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        failure = std::current_exception();
      }
    });
  }
  for (auto& thread : pool)
    thread.join();
  if (failure)
    std::rethrow_exception(failure);
}

nlohmann::json shard_json(const TokenShardInfo& info) {
  return {{"documents", info.documents}, {"tokens", info.tokens}, {"dtype", info.dtype}};
}

}  // namespace

uint64_t split_hash(int64_t index, uint64_t seed) {
  return splitmix64(static_cast<uint64_t>(index) ^ splitmix64(seed ^ 0x7a6f6f6c6162ULL));
}

uint64_t validation_threshold(int64_t documents, int64_t valid_documents, uint64_t seed) {
  if (valid_documents <= 0 || valid_documents > documents)
    throw std::invalid_argument("validation_threshold: " + std::to_string(valid_documents) +
                                " validation documents out of " + std::to_string(documents));
  std::vector<uint64_t> hashes(static_cast<size_t>(documents));
  for (int64_t i = 0; i < documents; ++i)
    hashes[static_cast<size_t>(i)] = split_hash(i, seed);
  const auto nth = hashes.begin() + (valid_documents - 1);
  std::nth_element(hashes.begin(), nth, hashes.end());
  return *nth;
}

TokenizeReport tokenize_corpus(const std::vector<CorpusInput>& inputs, const BpeTokenizer& tokenizer,
                               const std::string& out_dir, const TokenizeOptions& options) {
  if (!(options.valid_fraction >= 0 && options.valid_fraction < 1))
    throw std::invalid_argument("valid-fraction " + std::to_string(options.valid_fraction) +
                                " is out of range: use a share in [0, 1), e.g. 0.01");
  if (options.threads < 1 || options.threads > 256)
    throw std::invalid_argument("threads " + std::to_string(options.threads) + " is out of range (1 to 256)");

  // Pass 1: count the documents, so the split holds an exact share and is chosen before anything is
  // written. Reading is cheap next to encoding; problems are reported by the second pass.
  int64_t documents = 0;
  {
    CorpusReader counter(inputs, options.on_bad_input);
    CorpusDocument document;
    while (counter.next(document))
      ++documents;
  }
  if (documents < 2)
    throw std::invalid_argument("the corpus has " + std::to_string(documents) +
                                " usable document(s); a training and a validation split need at least 2");
  const int64_t valid_documents = std::clamp<int64_t>(
      std::llround(options.valid_fraction * static_cast<double>(documents)), 1, documents - 1);
  const uint64_t threshold = validation_threshold(documents, valid_documents, options.seed);

  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec)
    throw std::runtime_error("cannot create the shards folder " + out_dir + ": " + ec.message());
  const ShardsFolder folder = shards_folder(out_dir);
  // An old manifest goes before any new file is written: a manifest vouches for the whole folder (the
  // demo reuses a folder that has one), so a failure halfway must not leave it beside mixed files.
  fs::remove(folder.manifest, ec);
  if (ec)
    throw std::runtime_error("cannot remove the old manifest " + folder.manifest +
                             " before tokenizing: " + ec.message());
  const int64_t vocab_size = tokenizer.vocab_size();
  const int64_t end_of_text = tokenizer.end_of_text().value_or(-1);

  // Pass 2: encode and write.
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  TokenShardWriter train(folder.train, vocab_size, end_of_text);
  TokenShardWriter valid(folder.valid, vocab_size, end_of_text);
  BigramCounts bigrams(vocab_size);
  CorpusReader reader(inputs, options.on_bad_input);
  if (options.on_problem)
    reader.set_problem_callback(options.on_problem);

  const size_t batch_size = 64 * static_cast<size_t>(options.threads);
  std::vector<CorpusDocument> batch(batch_size);
  std::vector<std::vector<int32_t>> encoded(batch_size);
  std::vector<int32_t> run;
  int32_t last_train = -1;  // the training stream's last token: documents follow each other in it
  int64_t index = 0;
  int64_t tokens = 0;
  double last_progress = 0;
  bool more = true;
  while (more) {
    size_t count = 0;
    while (count < batch_size && (more = reader.next(batch[count])))
      ++count;
    encode_batch(tokenizer, batch, count, options.threads, encoded);
    for (size_t i = 0; i < count; ++i, ++index) {
      const auto& ids = encoded[i];
      tokens += static_cast<int64_t>(ids.size()) + (end_of_text >= 0 ? 1 : 0);
      if (split_hash(index, options.seed) <= threshold) {
        valid.add_document(ids);
        continue;
      }
      train.add_document(ids);
      // The bigrams the training stream holds: across the end-of-text and into the next document too.
      run.clear();
      if (last_train >= 0)
        run.push_back(last_train);
      run.insert(run.end(), ids.begin(), ids.end());
      if (end_of_text >= 0)
        run.push_back(static_cast<int32_t>(end_of_text));
      bigrams.add(run.data(), static_cast<int64_t>(run.size()));
      if (!run.empty())
        last_train = run.back();
    }
    if (options.on_progress && (elapsed() - last_progress >= 1.0 || !more)) {
      last_progress = elapsed();
      options.on_progress({index, documents, tokens, last_progress});
    }
  }
  if (index != documents)
    throw std::runtime_error("the corpus changed while it was read: " + std::to_string(documents) +
                             " documents the first time, " + std::to_string(index) + " the second");

  TokenizeReport report;
  report.train = train.finish();
  report.valid = valid.finish();
  bigrams.save(folder.bigrams);
  report.bigrams = bigrams.distinct();
  tokenizer.save_json(folder.tokenizer);
  report.seconds = elapsed();
  report.corpus = reader.stats();
  const int64_t total = report.train.tokens + report.valid.tokens;
  report.tokens_per_second = report.seconds > 0 ? static_cast<double>(total) / report.seconds : 0;
  const int64_t text_tokens = total - (end_of_text >= 0 ? documents : 0);
  report.bytes_per_token =
      text_tokens > 0 ? static_cast<double>(report.corpus.text_bytes) / static_cast<double>(text_tokens) : 0;

  nlohmann::json corpus_paths = nlohmann::json::array();
  for (const auto& input : inputs)
    corpus_paths.push_back(fs::absolute(input.path).string());
  report.manifest = {{"format", "zoolab token shards"},
                     {"version", kTokenShardVersion},
                     {"corpus", corpus_paths},
                     {"tokenizer", options.tokenizer_source},
                     {"vocab_size", vocab_size},
                     {"end_of_text", end_of_text},
                     {"valid_fraction", options.valid_fraction},
                     {"seed", options.seed},
                     {"train", shard_json(report.train)},
                     {"valid", shard_json(report.valid)},
                     {"bigrams", report.bigrams},
                     {"documents", documents},
                     {"text_bytes", report.corpus.text_bytes},
                     {"problems", report.corpus.problems},
                     {"seconds", report.seconds},
                     {"tokens_per_second", report.tokens_per_second},
                     {"bytes_per_token", report.bytes_per_token},
                     {"threads", options.threads}};
  // The manifest comes last: a folder with one is complete.
  StreamWriter manifest(folder.manifest, false);
  manifest.write(report.manifest.dump(2) + "\n");
  manifest.finish();
  return report;
}

}  // namespace zoolab
