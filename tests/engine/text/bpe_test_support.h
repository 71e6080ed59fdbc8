#pragma once

// Shared by the BPE tests: GPT-2's tokenizer from tests/engine/text/data/gpt2 (loaded once per process)
// and the parity fixture made by tests/engine/text/data/make_bpe_fixture.sh.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/text/byte_level_bpe.h"
#include "engine/text/zstd_stream.h"

namespace zoolab::bpe_test {

inline std::string data_dir() {
  return std::string(ZOOLAB_SOURCE_DIR) + "/tests/engine/text/data";
}

inline const BpeTokenizer& gpt2() {
  static const BpeTokenizer tokenizer = BpeTokenizer::load(data_dir() + "/gpt2");
  return tokenizer;
}

struct FixtureDocument {
  std::string title;
  std::string text;
  std::vector<int32_t> ids;  // gpt-3-encoder's
};

inline std::vector<FixtureDocument> load_fixture() {
  std::vector<FixtureDocument> documents;
  StreamReader texts(data_dir() + "/bpe_fixture.jsonl.zst", true);
  StreamReader ids(data_dir() + "/bpe_fixture_ids.jsonl.zst", true);
  std::string text_line;
  std::string ids_line;
  while (texts.read_line(text_line)) {
    if (!ids.read_line(ids_line))
      throw std::runtime_error("bpe_fixture_ids.jsonl.zst has fewer lines");
    const auto document = nlohmann::json::parse(text_line);
    documents.push_back({document["meta"]["title"].get<std::string>(), document["text"].get<std::string>(),
                         nlohmann::json::parse(ids_line).get<std::vector<int32_t>>()});
  }
  return documents;
}

}  // namespace zoolab::bpe_test
