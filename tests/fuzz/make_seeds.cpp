// Writes the binary seed files of tests/fuzz/corpus/ with the formats' own writers, so that the seeds are
// valid files of today's versions. Run it again after a format changes (tests/fuzz/README.md):
//   cmake --build build-fuzz --target make_seeds && build-fuzz/make_seeds tests/fuzz/corpus
// The text seeds (configurations, sweep files, JSON, sequences) are written by hand or copied from
// resources/presets and are not made here.

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"
#include "engine/data/dataset_cache.h"
#include "engine/data/tasks/mqar.h"
#include "engine/formats/checkpoint_format.h"
#include "engine/inspect/query_records.h"
#include "engine/text/bigram_counts.h"
#include "engine/text/byte_level_bpe.h"
#include "engine/text/corpus.h"
#include "engine/text/token_losses.h"
#include "engine/text/token_shards.h"

namespace fs = std::filesystem;
using namespace zoolab;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_file(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

// A byte-level BPE over every byte (it needs all 256), with a few merges and end-of-text or with neither.
BpeTokenizer small_tokenizer(bool with_merges) {
  std::vector<std::string> vocab;
  for (int b = 0; b < 256; ++b) {
    vocab.push_back(bytes_to_gpt2_alphabet(std::string(1, static_cast<char>(b))));
  }
  if (!with_merges) {
    return BpeTokenizer(vocab, {});
  }
  const std::string space = bytes_to_gpt2_alphabet(" ");
  std::vector<std::pair<std::string, std::string>> merges = {
      {"l", "l"}, {"e", "ll"}, {space, "w"}, {"o", "r"}};
  for (const auto& [left, right] : merges) {
    vocab.push_back(left + right);
  }
  return BpeTokenizer(vocab, merges, {"<|endoftext|>"});
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: make_seeds CORPUS_DIR (tests/fuzz/corpus)\n";
    return 2;
  }
  const std::string out = argv[1];

  // .ztok: two documents with end-of-text, 16-bit and 32-bit tokens. The file header harness reads them too.
  for (const auto& [name, vocab] :
       std::vector<std::pair<std::string, int64_t>>{{"u16", 50}, {"u32", 70000}}) {
    const std::string path = out + "/token_shard/" + name + ".ztok";
    fs::create_directories(out + "/token_shard");
    TokenShardWriter writer(path, vocab, 0);
    writer.add_document({5, 6, 7, 8});
    writer.add_document({static_cast<int32_t>(vocab - 1), 1});
    writer.finish();
    write_file(out + "/file_header/" + name + ".ztok", read_file(path));
  }

  // .zbg
  {
    BigramCounts counts(16);
    const std::vector<int32_t> tokens = {1, 2, 3, 1, 2, 15, 0, 1, 2};
    counts.add(tokens.data(), static_cast<int64_t>(tokens.size()));
    fs::create_directories(out + "/bigram_counts");
    counts.save(out + "/bigram_counts/small.zbg");
    write_file(out + "/bigram_counts/empty.zbg", "");
    BigramCounts(4).save(out + "/bigram_counts/none.zbg");
  }

  // .zlds, without its last 4 bytes (the CRC-32C the harness appends).
  {
    SegmentConfig segment;
    segment.input_seq_len = 16;
    segment.with("num_kv_pairs", 2);
    segment.num_examples = 3;
    const std::string path = out + "/dataset_cache/mqar.zlds";
    write_dataset_file(path, generate_mqar(segment, 64, 1));
    const std::string bytes = read_file(path);
    write_file(path, bytes.substr(0, bytes.size() - 4));
  }

  // ZQRS
  {
    QueryRecordSet set;
    set.step = 7;
    set.epoch = 1;
    set.subset = "tracked";
    set.segments.push_back({16, 2, 0, {{"num_kv_pairs", 2}, {"input_seq_len", 16}}});
    set.records.push_back({0, 9, 3, 4, 4, 0.25f, 0.75f, 6, 1, 0, true});
    set.records.push_back({1, 11, 5, 6, 2, 2.5f, 0.1f, 8, 0, 0, false});
    write_file(out + "/query_records/two.zqrs", encode_query_records(set));
    set.records.clear();
    write_file(out + "/query_records/none.zqrs", encode_query_records(set));
  }

  // ZTLS
  {
    TokenLossSet set;
    set.step = 100;
    set.epoch = 0;
    set.sequences = 2;
    set.length = 3;
    set.shards = "/data/shards";
    set.tokens = {1, 2, 3, 4, 5, 6};
    set.losses = {NAN, 1.5f, 0.5f, NAN, 2.0f, 0.25f};
    set.train_counts = {0, 3, 9, 0, 1, 4294967295u};
    write_file(out + "/token_losses/two.ztls", encode_token_losses(set));
  }

  // tokenizer.json, and GPT-2's encoder.json NUL vocab.bpe
  for (const bool with_merges : {true, false}) {
    const BpeTokenizer tokenizer = small_tokenizer(with_merges);
    const std::string name = with_merges ? "merges" : "bytes-only";
    const std::string json_path = out + "/tokenizer_json/" + name + ".json";
    fs::create_directories(out + "/tokenizer_json");
    tokenizer.save_json(json_path);
    const nlohmann::json saved = nlohmann::json::parse(read_file(json_path));
    std::string merges = "#version: 0.2\n";
    for (const auto& merge : saved["model"]["merges"]) {
      merges += merge.is_string() ? merge.get<std::string>()
                                  : merge[0].get<std::string>() + " " + merge[1].get<std::string>();
      merges += "\n";
    }
    write_file(out + "/gpt2_tokenizer/" + name,
               saved["model"]["vocab"].dump() + std::string(1, '\0') + merges);
  }

  // Pile-format JSON lines, plain and zstd.
  for (const std::string name : {"pile.jsonl", "pile.jsonl.zst"}) {
    fs::create_directories(out + "/corpus");
    CorpusWriter writer(out + "/corpus/" + name, 3);
    writer.add("In the beginning was the Word.", "bible");
    writer.add("caf\xc3\xa9 \xe2\x82\xac\n\tsecond line", "");
    writer.finish();
  }
  write_file(out + "/corpus/bad-lines.jsonl",
             "{\"text\": \"ok\", \"meta\": {\"pile_set_name\": \"a\"}}\n{\"text\": 5}\nnot json\n"
             "{\"text\": \"\\ud800\"}\n{\"meta\": {}}\n\n{\"text\": \"last\"}");
  // A checkpoint's framing around a stand-in payload (the harness checks the framing, not torch's archive).
  {
    CheckpointHeader header;
    header.position.run_id = 3;
    header.position.epoch = 1;
    header.position.batch = 2;
    header.position.step = 10;
    header.position.config_hash = "0123456789abcdef";
    header.torch_version = "1.13.1";
    const std::string head = encode_checkpoint_head(header);
    const std::string payload = "PK\x03\x04 stand-in payload";
    write_file(out + "/checkpoint/small.zlck", head + payload + encode_checkpoint_trailer(head, payload));
  }
  // safetensors: two float tensors and metadata, as `zoolab-cli export` writes them.
  {
    const std::string header =
        R"({"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},)"
        R"("b":{"dtype":"I64","shape":[1],"data_offsets":[16,24]}})";
    std::string bytes(8, '\0');
    for (size_t i = 0; i < 8; ++i) {
      bytes[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
    }
    write_file(out + "/safetensors/small.safetensors", bytes + header + std::string(24, '\x01'));
  }
  std::cout << "seeds written under " << out << "\n";
  return 0;
}
