#include "engine/data/dataset_cache.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "engine/formats/crc32c.h"
#include "engine/util/checked_size.h"
#include "engine/util/input_error.h"
#include "engine/util/memory_budget.h"
#include "engine/util/strict_json.h"

namespace zoolab {

namespace {

namespace fs = std::filesystem;

constexpr char kDatasetCacheMagic[4] = {'Z', 'L', 'D', 'S'};
constexpr size_t kHeaderBytes = 4 + 4 + 8 + 8;

// Explicit little-endian encoding, independent of the host's byte order.
void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_le(std::string_view in, size_t offset, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(in[offset + i])) << (8 * i);
  return v;
}

std::string hex16(uint64_t v) {
  char buffer[17];
  std::snprintf(buffer, sizeof buffer, "%016llx", static_cast<unsigned long long>(v));
  return buffer;
}

nlohmann::json slices_to_json(const TokenSegment& segment) {
  nlohmann::json slices = nlohmann::json::object();
  for (const auto& [key, value] : segment.slices)
    slices[key] = value;
  return slices;
}

}  // namespace

uint64_t fnv1a64(const void* data, size_t size, uint64_t hash) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

uint64_t fnv1a64(const std::string& text) {
  return fnv1a64(text.data(), text.size());
}

std::string dataset_cache_key(const SegmentConfig& config, int64_t vocab_size, uint64_t seed) {
  // nlohmann::json objects keep their keys sorted and dump() prints doubles in shortest round-trip
  // form, so the same fields always give the same text. For MQAR these are the fields of the first
  // version of this key, so caches written before the task registry stay valid.
  const TaskSpec& task = find_task(config.task);
  nlohmann::json key = resolve_task_params(task, config.params, "segment");
  key["generator"] = config.task;
  key["generator_version"] = task.generator_version;
  key["input_seq_len"] = config.input_seq_len;
  key["num_examples"] = config.num_examples;
  key["seed"] = seed;
  key["vocab_size"] = vocab_size;
  return key.dump();
}

std::string dataset_cache_path(const std::string& cache_dir, const SegmentConfig& config, int64_t vocab_size,
                               uint64_t seed) {
  const uint64_t hash = fnv1a64(dataset_cache_key(config, vocab_size, seed));
  return (fs::path(cache_dir) / (config.task + "-" + hex16(hash) + ".zlds")).string();
}

void write_dataset_file(const std::string& path, const TokenSegment& segment) {
  const size_t count = static_cast<size_t>(segment.num_examples * segment.seq_len);
  if (segment.inputs.size() != count || segment.labels.size() != count) {
    throw std::invalid_argument("write_dataset_file: inputs/labels do not hold N*L tokens");
  }
  std::string bytes;
  bytes.reserve(kHeaderBytes + 8 * count + 64);
  bytes.append(kDatasetCacheMagic, 4);
  put_u32(bytes, kDatasetFileVersion);
  put_u64(bytes, static_cast<uint64_t>(segment.num_examples));
  put_u64(bytes, static_cast<uint64_t>(segment.seq_len));
  // Tokens go into a pre-sized buffer, not appended byte by byte: ~50 MB for a Figure-2 training
  // segment.
  size_t at = bytes.size();
  bytes.resize(at + 8 * count);
  for (const auto* tokens : {&segment.inputs, &segment.labels}) {
    for (int64_t t : *tokens) {
      if (t < std::numeric_limits<int32_t>::min() || t > std::numeric_limits<int32_t>::max()) {
        throw std::invalid_argument("write_dataset_file: token " + std::to_string(t) +
                                    " does not fit in int32");
      }
      const auto u = static_cast<uint32_t>(static_cast<int32_t>(t));
      for (int i = 0; i < 4; ++i)
        bytes[at++] = static_cast<char>((u >> (8 * i)) & 0xff);
    }
  }
  const std::string slices = slices_to_json(segment).dump();
  put_u64(bytes, slices.size());
  bytes += slices;
  put_u32(bytes, crc32c(bytes));

  const fs::path target(path);
  std::error_code ec;
  if (target.has_parent_path())
    fs::create_directories(target.parent_path(), ec);
  if (ec)
    throw std::runtime_error("cannot create the dataset cache folder " + target.parent_path().string());
  // A unique temporary name in the same folder (so rename stays within one file system); two
  // processes generating the same segment each write their own and the last rename wins.
  std::random_device device;
  const fs::path temp = target.string() + ".tmp-" + hex16((uint64_t{device()} << 32) ^ device());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      fs::remove(temp, ec);
      throw std::runtime_error("cannot write the dataset cache file " + temp.string());
    }
  }
  fs::rename(temp, target, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw std::runtime_error("cannot move the dataset cache file into place: " + target.string());
  }
}

TokenSegment decode_dataset_file(std::string_view bytes, const std::string& path) {
  const std::string prefix = "dataset cache file " + path + ": ";
  if (bytes.size() < kHeaderBytes + 8 + 4)
    throw InputError(prefix + "truncated (" + std::to_string(bytes.size()) + " bytes)");
  if (bytes.compare(0, 4, std::string_view(kDatasetCacheMagic, 4)) != 0)
    throw InputError(prefix + "bad magic number");
  if (get_le(bytes, 4, 4) != kDatasetFileVersion)
    throw InputError(prefix + "version " + std::to_string(get_le(bytes, 4, 4)) + ", not " +
                     std::to_string(kDatasetFileVersion));
  // The checksum first: nothing else the file says is believed before it checks out.
  const size_t checksum_at = bytes.size() - 4;
  if (get_le(bytes, checksum_at, 4) != crc32c(bytes.substr(0, checksum_at)))
    throw InputError(prefix + "checksum mismatch (damaged or truncated)");
  const uint64_t n = get_le(bytes, 8, 8);
  const uint64_t l = get_le(bytes, 16, 8);
  // Both token arrays, the slices length and the checksum must fit in the file: checked arithmetic, so
  // a header of 2^62 examples cannot wrap around to the file's size.
  const CheckedSize count = CheckedSize(n) * l;
  const CheckedSize slices_at = count * 8 + kHeaderBytes;
  if (!count.as_int64() || !slices_at.within(bytes.size() - 8 - 4) || n > uint64_t{INT64_MAX} ||
      l > uint64_t{INT64_MAX})
    throw InputError(prefix + std::to_string(n) + " examples of " + std::to_string(l) +
                     " tokens do not fit in its " + std::to_string(bytes.size()) + " bytes");
  const auto tokens_count = static_cast<size_t>(*count.value());
  const auto slices_offset = static_cast<size_t>(*slices_at.value());
  const uint64_t slices_len = get_le(bytes, slices_offset, 8);
  if (slices_len != checksum_at - slices_offset - 8)
    throw InputError(prefix + "the slices JSON length " + std::to_string(slices_len) +
                     " does not match the file's size");

  TokenSegment segment;
  segment.num_examples = static_cast<int64_t>(n);
  segment.seq_len = static_cast<int64_t>(l);
  segment.inputs.resize(tokens_count);
  segment.labels.resize(tokens_count);
  const auto* tokens = reinterpret_cast<const unsigned char*>(bytes.data() + kHeaderBytes);
  auto token_at = [tokens](size_t i) {
    const unsigned char* b = tokens + 4 * i;
    const uint32_t u = uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
    return static_cast<int64_t>(static_cast<int32_t>(u));
  };
  for (size_t i = 0; i < tokens_count; ++i) {
    segment.inputs[i] = token_at(i);
    segment.labels[i] = token_at(tokens_count + i);
  }
  nlohmann::json slices;
  try {
    slices = parse_strict_json(bytes.substr(slices_offset + 8, static_cast<size_t>(slices_len)));
  } catch (const InputError&) {
    throw InputError(prefix + "the slices are not valid JSON");
  }
  if (!slices.is_object())
    throw InputError(prefix + "the slices are not a JSON object");
  for (const auto& item : slices.items()) {
    if (!item.value().is_number_integer() ||
        (item.value().is_number_unsigned() && item.value().get<uint64_t>() > uint64_t{INT64_MAX}))
      throw InputError(prefix + "a slice value is not a 64-bit integer");
    segment.slices[item.key()] = item.value().get<int64_t>();
  }
  return segment;
}

bool read_dataset_file(const std::string& path, TokenSegment* segment) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return false;
  std::error_code ec;
  const auto file_size = fs::file_size(path, ec);
  // A cache file larger than the memory budget is not read: regenerating it is the answer either way.
  if (ec || memory_shortfall(file_size))
    return false;
  std::string bytes(static_cast<size_t>(file_size), '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
    return false;
  try {
    *segment = decode_dataset_file(bytes, path);
  } catch (const InputError&) {
    return false;
  }
  return true;
}

TokenSegment load_or_generate(const SegmentConfig& config, int64_t vocab_size, uint64_t seed,
                              const std::string& cache_dir) {
  if (cache_dir.empty())
    return generate_segment(config, vocab_size, seed);
  const std::string path = dataset_cache_path(cache_dir, config, vocab_size, seed);
  TokenSegment cached;
  // The key already pins every field; checking the shape again guards against hash collisions.
  if (read_dataset_file(path, &cached) && cached.num_examples == config.num_examples &&
      cached.seq_len == config.input_seq_len) {
    cached.task = config.task;
    return cached;
  }
  TokenSegment segment = generate_segment(config, vocab_size, seed);
  write_dataset_file(path, segment);
  return segment;
}

}  // namespace zoolab
