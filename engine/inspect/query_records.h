#pragma once

// Per-query MQAR evaluation records and their storage format. A set is what one evaluation recorded
// for one subset of the test split; it is stored as one blob, little-endian:
//   "ZQRS" | u32 version | u32 header bytes | header JSON (step, epoch, subset, segments) |
//   u64 count | count fixed-width records (kRecordBytes each) | u32 CRC-32C of every byte before it.
// Version 1 blobs (no checksum, in databases written before version 2) are still read.
// No torch, no Qt: the CLI, the views and the trainer share it.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "engine/data/query_facts.h"

namespace zoolab {

struct QueryRecord {
  int32_t example = 0;     // index in the test split (segments in config order)
  int32_t position = 0;    // of the query token in the sequence
  int32_t key = 0;         // the query's input token
  int32_t target = 0;      // the value it must recall
  int32_t prediction = 0;  // argmax of the logits there
  float loss = 0.0f;       // cross-entropy of the target
  float p_target = 0.0f;   // softmax probability of the target
  int32_t gap = 0;         // position - key position (the key's latest occurrence in the context)
  int16_t kv_index = 0;    // which pair of the context (0-based); -1 if the key is not in the context
  int16_t segment = 0;     // test segment (its slices live in QueryRecordSet::segments)
  bool correct = false;
};

// A test segment as the records see it: its examples are [first_example, first_example + num_examples).
struct RecordSegment {
  int64_t seq_len = 0;
  int64_t num_examples = 0;
  int64_t first_example = 0;
  std::map<std::string, int64_t> slices;  // e.g. num_kv_pairs, input_seq_len, num_passes
  std::string task = "mqar";              // the registry name of the segment's task
};

struct QueryRecordSet {
  int64_t step = 0;
  int64_t epoch = 0;
  std::string subset;  // "all" or "tracked"
  std::vector<RecordSegment> segments;
  std::vector<QueryRecord> records;  // by example, then position
};

inline constexpr uint32_t kQueryRecordsVersion = 2;
inline constexpr size_t kRecordBytes = 37;

std::string encode_query_records(const QueryRecordSet& set);
// Throws InputError naming what is wrong (magic, version, checksum, truncation, header field); never
// reads outside `bytes`. The torch-free entry point for fuzzing.
QueryRecordSet decode_query_records(std::string_view bytes);

}  // namespace zoolab
