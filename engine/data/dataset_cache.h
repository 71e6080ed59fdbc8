#pragma once

// An on-disk cache of generated data segments, keyed by a content hash of everything that
// determines them (as Zoology caches `data_<md5(config + seed)>.pt`).
//
// File "<cache_dir>/<task>-<16 hex digits>.zlds", all integers little-endian:
//   char[4]  magic "ZLDS"
//   uint32   format version (kDatasetFileVersion)
//   uint64   N (examples), uint64 L (sequence length)
//   int32    inputs[N*L], then int32 labels[N*L] (row-major)
//   uint64   byte length of the slices JSON, then that many bytes of JSON ({"num_kv_pairs": 4, ...})
//   uint32   CRC-32C of every byte before it (detects truncation and bit rot; version 1 had FNV-1a 64)
// A file that is missing, truncated, of another version (version 1 included), of another shape or with
// a wrong checksum is regenerated and rewritten, never trusted: it is a cache. Files are written to a
// temporary name in the same folder and renamed into place, so a reader never sees a half-written file.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/config/run_config.h"
#include "engine/data/task_registry.h"

namespace zoolab {

inline constexpr uint32_t kDatasetFileVersion = 2;

// FNV-1a 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
uint64_t fnv1a64(const void* data, size_t size, uint64_t hash = 0xcbf29ce484222325ULL);
uint64_t fnv1a64(const std::string& text);

// The canonical JSON (sorted keys, no spaces) that identifies a segment: its task's parameters and
// {"generator": task, "generator_version": TaskSpec::generator_version, "input_seq_len", "num_examples",
//  "seed", "vocab_size"}, e.g. for MQAR {"generator":"mqar","generator_version":1,"input_seq_len":..,
//  "num_examples":..,"num_kv_pairs":..,"num_passes":..,"power_a":..,"random_non_queries":..,"seed":..,
//  "vocab_size":..}. A generator whose output changes bumps its version: old entries then hash to other
// names and are never read.
std::string dataset_cache_key(const SegmentConfig& config, int64_t vocab_size, uint64_t seed);

// "<cache_dir>/<task>-<fnv1a64(key) as 16 lowercase hex digits>.zlds".
std::string dataset_cache_path(const std::string& cache_dir, const SegmentConfig& config, int64_t vocab_size,
                               uint64_t seed);

// Writes a segment in the format above, atomically (temporary file + rename). Creates the folder.
// Throws std::runtime_error naming the path on an I/O error.
void write_dataset_file(const std::string& path, const TokenSegment& segment);

// The segment of a whole .zlds file held in `bytes`. Throws InputError naming `path` and what does not
// check out; never reads outside `bytes`. The torch-free entry point for fuzzing.
TokenSegment decode_dataset_file(std::string_view bytes, const std::string& path);

// Reads a segment; returns false (leaving *segment unspecified) if the file is missing, too large for
// the memory budget or does not check out in any way (decode_dataset_file).
bool read_dataset_file(const std::string& path, TokenSegment* segment);

// The segment from the cache when a valid file exists, otherwise generated (generate_segment) and
// written to the cache. An empty cache_dir disables caching.
TokenSegment load_or_generate(const SegmentConfig& config, int64_t vocab_size, uint64_t seed,
                              const std::string& cache_dir);

}  // namespace zoolab
