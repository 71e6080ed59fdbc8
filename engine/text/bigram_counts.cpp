// Bigram counts of the training split (bigram_counts.h). The header's "tokens" is the number of bigram
// occurrences counted (the sum of all counts); load() checks it, so a damaged record does not go unnoticed.
// lookup() maps the file and binary-searches the sorted records instead, for a caller that needs a few
// thousand counts of a file of millions (the trainer's validation tokens).

#include "engine/text/bigram_counts.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/formats/crc32c.h"
#include "engine/formats/header_fields.h"
#include "engine/text/file_header.h"
#include "engine/util/checked_size.h"
#include "engine/util/input_error.h"
#include "engine/util/memory_budget.h"

namespace zoolab {

namespace {

constexpr FileFormat kBigramCountsFormat{"ZBGM", kBigramCountsVersion, "bigram counts",
                                         /*reads_version_1=*/false,
                                         "re-run `zoolab-cli data tokenize` to write it again"};

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_u64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

// A .zbg file's header, checked against the file's size: what load() and lookup() both start with.
struct Layout {
  int64_t vocab_size = 0;
  int64_t bigrams = 0;
  uint64_t tokens = 0;
  const char* records = nullptr;  // `bigrams` records of 16 bytes
};

Layout read_layout(std::string_view bytes, const std::string& path) {
  const std::string prefix = "bigram counts " + path + ": ";
  const auto decoded = decode_file_header(bytes, kBigramCountsFormat, path);
  Layout layout;
  layout.vocab_size = header_int(decoded.header, "vocab_size", 0, int64_t{1} << 31, prefix);
  layout.bigrams = header_int(decoded.header, "bigrams", 0, std::numeric_limits<int64_t>::max(), prefix);
  layout.tokens = static_cast<uint64_t>(
      header_int(decoded.header, "tokens", 0, std::numeric_limits<int64_t>::max(), prefix));
  const uint64_t data_bytes = bytes.size() - decoded.data_offset;
  const CheckedSize expected = CheckedSize(layout.bigrams) * 16;
  if (!expected.ok() || *expected.value() != data_bytes) {
    const bool short_file = !expected.ok() || *expected.value() > data_bytes;
    throw InputError(prefix + (short_file ? "the file is truncated: " : "the file is too long: ") +
                     "header field \"bigrams\" promises " + std::to_string(layout.bigrams) +
                     " records of 16 bytes, " + std::to_string(data_bytes) + " bytes follow the header");
  }
  layout.records = bytes.data() + decoded.data_offset;
  return layout;
}

InputError corrupt_record(const std::string& path, int64_t index) {
  return InputError("bigram counts " + path + ": record " + std::to_string(index) +
                    " is corrupt (key out of range, zero count or keys not increasing)");
}

}  // namespace

BigramCounts::BigramCounts(int64_t vocab_size) : m_vocab_size(vocab_size) {
  if (vocab_size < 0 || vocab_size > (int64_t{1} << 31))
    throw std::invalid_argument("BigramCounts: vocab_size " + std::to_string(vocab_size) +
                                " is out of range (0 to 2^31)");
}

void BigramCounts::add(const int32_t* tokens, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    if (tokens[i] < 0 || tokens[i] >= m_vocab_size)
      throw std::invalid_argument("BigramCounts: token " + std::to_string(tokens[i]) +
                                  " is outside the vocabulary of " + std::to_string(m_vocab_size));
  }
  const auto v = static_cast<uint64_t>(m_vocab_size);
  for (int64_t i = 1; i < count; ++i)
    ++m_counts[static_cast<uint64_t>(tokens[i - 1]) * v + static_cast<uint64_t>(tokens[i])];
}

uint64_t BigramCounts::count(int32_t previous, int32_t token) const {
  if (previous < 0 || token < 0 || previous >= m_vocab_size || token >= m_vocab_size)
    return 0;
  const auto it = m_counts.find(static_cast<uint64_t>(previous) * static_cast<uint64_t>(m_vocab_size) +
                                static_cast<uint64_t>(token));
  return it == m_counts.end() ? 0 : it->second;
}

void BigramCounts::save(const std::string& path) const {
  std::vector<std::pair<uint64_t, uint64_t>> records(m_counts.begin(), m_counts.end());
  std::sort(records.begin(), records.end());
  uint64_t total = 0;
  for (const auto& r : records)
    total += r.second;
  const nlohmann::json header = {
      {"vocab_size", m_vocab_size}, {"bigrams", static_cast<int64_t>(records.size())}, {"tokens", total}};
  std::string data;
  data.reserve(16 * records.size());
  for (const auto& [key, value] : records) {
    put_u64(data, key);
    put_u64(data, value);
  }
  const std::string bytes = encode_file_header(kBigramCountsFormat, header, crc32c(data)) + data;
  const std::string temp = temporary_path_for(path);
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      throw std::runtime_error("bigram counts " + path + ": cannot write " + temp + " (disk full?)");
    }
  }
  commit_temporary(temp, path);
}

BigramCounts BigramCounts::load(const std::string& path) {
  const std::string prefix = "bigram counts " + path + ": ";
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in)
    throw std::runtime_error(prefix + "cannot open: " + std::strerror(errno));
  const auto size = static_cast<uint64_t>(in.tellg());
  if (const auto shortfall = memory_shortfall(size))
    throw InputError(prefix + "reading the file " + *shortfall);
  std::string bytes(size, '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size)))
    throw std::runtime_error(prefix + "cannot read: " + std::strerror(errno));
  return decode(bytes, path);
}

BigramCounts BigramCounts::decode(std::string_view bytes, const std::string& path) {
  const std::string prefix = "bigram counts " + path + ": ";
  const Layout layout = read_layout(bytes, path);
  BigramCounts counts(layout.vocab_size);
  counts.m_counts.reserve(static_cast<size_t>(layout.bigrams));
  const uint64_t keys = static_cast<uint64_t>(layout.vocab_size) * static_cast<uint64_t>(layout.vocab_size);
  CheckedSize total;
  const char* p = layout.records;
  for (int64_t i = 0; i < layout.bigrams; ++i, p += 16) {
    const uint64_t key = get_u64(p);
    const uint64_t value = get_u64(p + 8);
    if (key >= keys || value == 0 || (i > 0 && key <= get_u64(p - 16)))
      throw corrupt_record(path, i);
    counts.m_counts.emplace(key, value);
    total += value;
  }
  if (!total.ok() || *total.value() != layout.tokens)
    throw InputError(prefix + "the counts add up to " +
                     (total.ok() ? std::to_string(*total.value()) : std::string("more than 2^64")) +
                     ", header field \"tokens\" says " + std::to_string(layout.tokens) + " (corrupt file?)");
  return counts;
}

std::vector<uint64_t> BigramCounts::lookup(const std::string& path,
                                           const std::vector<std::pair<int32_t, int32_t>>& pairs) {
  const std::string prefix = "bigram counts " + path + ": ";
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error(prefix + "cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    throw std::runtime_error(prefix + "cannot stat: " + std::strerror(error));
  }
  // Mapped, not read: the binary searches touch only the pages on their paths, a few per pair.
  const auto size = static_cast<uint64_t>(st.st_size);
  void* map = nullptr;
  if (size > 0) {
    map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      throw std::runtime_error(prefix + "cannot map: " + std::strerror(error));
    }
  }
  ::close(fd);  // the mapping stays valid
  struct Unmap {
    void* map;
    uint64_t size;
    ~Unmap() {
      if (map != nullptr)
        ::munmap(map, size);
    }
  } unmap{map, size};

  const Layout layout =
      read_layout(std::string_view(map == nullptr ? "" : static_cast<const char*>(map), size), path);
  const auto vocab = static_cast<uint64_t>(layout.vocab_size);
  const auto key_at = [&](int64_t i) { return get_u64(layout.records + 16 * i); };
  std::vector<uint64_t> counts(pairs.size(), 0);
  for (size_t k = 0; k < pairs.size(); ++k) {
    const auto [previous, token] = pairs[k];
    if (previous < 0 || token < 0 || previous >= layout.vocab_size || token >= layout.vocab_size)
      continue;  // as count(): a pair outside the vocabulary never occurred
    const uint64_t key = static_cast<uint64_t>(previous) * vocab + static_cast<uint64_t>(token);
    int64_t low = 0, high = layout.bigrams;  // the first record whose key is >= `key` is in [low, high]
    while (low < high) {
      const int64_t middle = low + (high - low) / 2;
      if (key_at(middle) < key)
        low = middle + 1;
      else
        high = middle;
    }
    if (low < layout.bigrams && key_at(low) == key) {
      counts[k] = get_u64(layout.records + 16 * low + 8);
      if (counts[k] == 0)
        throw corrupt_record(path, low);  // what load() would say of this record
    }
  }
  return counts;
}

}  // namespace zoolab
