#pragma once

// Corpus → token shards (docs/architecture.md#text-pipeline, token_shards.h): what `zoolab-cli data tokenize`
// does. Each document is encoded with the BPE tokenizer and written, followed by end-of-text, to train.ztok
// or valid.ztok; the training split's bigrams are counted into bigrams.zbg; tokenizer.json and manifest.json
// complete the folder. The held-out validation documents are chosen by a hash of the document's index and a
// seed, so the split is the same on every machine and for every tokenizer. No torch, no Qt.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/text/byte_level_bpe.h"
#include "engine/text/corpus.h"
#include "engine/text/token_shards.h"

namespace zoolab {

struct TokenizeProgress {
  int64_t documents = 0;  // documents tokenized so far
  int64_t total_documents = 0;
  int64_t tokens = 0;
  double seconds = 0;
};

struct TokenizeOptions {
  // The share of documents held out for validation: round(fraction · documents), at least 1, and at least
  // one document is left for training.
  double valid_fraction = 0.01;
  uint64_t seed = 0;
  OnBadInput on_bad_input = OnBadInput::Skip;
  int threads = 1;               // documents tokenized in parallel (BpeTokenizer::encode is thread-safe)
  std::string tokenizer_source;  // for the manifest: where the tokenizer came from
  std::function<void(const CorpusProblem&)> on_problem;      // each skipped problem, as met
  std::function<void(const TokenizeProgress&)> on_progress;  // about once a second
};

struct TokenizeReport {
  TokenShardInfo train, valid;
  int64_t bigrams = 0;           // distinct bigrams of the training split
  CorpusStats corpus;            // of the tokenizing pass (documents, bytes, problems)
  double seconds = 0;            // the tokenizing pass, writing included
  double tokens_per_second = 0;  // train + valid tokens / seconds
  double bytes_per_token = 0;    // UTF-8 bytes of text per token (end-of-text excluded)
  nlohmann::json manifest;       // what manifest.json holds
};

// Document `index` (0-based, in reading order) is held out when split_hash(index, seed) <= the threshold
// from validation_threshold(). Exposed for tests.
uint64_t split_hash(int64_t index, uint64_t seed);
// The largest hash of the validation split: the `valid_documents` smallest split_hash values of indices
// 0..documents-1 are held out.
uint64_t validation_threshold(int64_t documents, int64_t valid_documents, uint64_t seed);

// Reads `inputs` twice (counting documents, then tokenizing), writes the shards folder `out_dir` (created
// if missing; files in it are replaced). An old manifest.json is removed before anything is written and
// the new one written last, so only a complete folder has one. Throws std::runtime_error (CorpusError under
// Refuse) naming the problem; std::invalid_argument for bad options or a corpus of fewer than 2 documents.
TokenizeReport tokenize_corpus(const std::vector<CorpusInput>& inputs, const BpeTokenizer& tokenizer,
                               const std::string& out_dir, const TokenizeOptions& options = {});

}  // namespace zoolab
