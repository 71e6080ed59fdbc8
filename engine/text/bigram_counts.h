#pragma once

// How often each bigram (previous token, token) occurs in the training split (the AR-hit analysis buckets
// AR hits by their bigram's training frequency, as the Zoology paper does).
// File: the text pipeline's header (file_header.h: magic "ZBGM", version, checksums of header and
// records) with the JSON {vocab_size, bigrams, tokens}, then `bigrams` records of
// (u64 key = previous · vocab_size + token, u64 count), sorted by key. Version 1 (no checksums) is
// refused: re-run `zoolab-cli data tokenize`.

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace zoolab {

inline constexpr uint32_t kBigramCountsVersion = 2;

class BigramCounts {
 public:
  explicit BigramCounts(int64_t vocab_size = 0);
  void add(const int32_t* tokens, int64_t count);  // every adjacent pair of the run of tokens
  uint64_t count(int32_t previous, int32_t token) const;
  int64_t vocab_size() const { return m_vocab_size; }
  int64_t distinct() const { return static_cast<int64_t>(m_counts.size()); }

  void save(const std::string& path) const;
  static BigramCounts load(const std::string& path);  // throws naming the file and the problem
  // The counts of a whole .zbg file held in `bytes`: header, checksums, every record (keys in range and
  // increasing, counts positive, their sum the header's "tokens"). Throws InputError naming `path`; never
  // reads outside `bytes`. The torch-free entry point for fuzzing.
  static BigramCounts decode(std::string_view bytes, const std::string& path);

  // The counts of `pairs` (previous, token), in their order, without loading the file: its records are
  // sorted by key, so each pair is a binary search in the mapped file. The header, the checksums and the
  // file's size are checked as load() checks them (same messages); the order of the records and the sum
  // of the counts are not (the checksum already vouches for what the writer wrote).
  // A pair outside the vocabulary or absent from the file counts 0, as count() says.
  static std::vector<uint64_t> lookup(const std::string& path,
                                      const std::vector<std::pair<int32_t, int32_t>>& pairs);

 private:
  int64_t m_vocab_size = 0;
  std::unordered_map<uint64_t, uint64_t> m_counts;
};

}  // namespace zoolab
