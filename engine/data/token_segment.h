#pragma once

// The tokens of one generated data segment, whatever its task (engine/data/task_registry.h).

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace zoolab {

inline constexpr int64_t kIgnoreLabel = -100;

// N examples of one segment, row-major (N, L). Labels are kIgnoreLabel except at the positions the task
// asks about (its "queries").
struct TokenSegment {
  std::string task = "mqar";  // the registry name of the task that generated it
  int64_t num_examples = 0;
  int64_t seq_len = 0;
  std::vector<int64_t> inputs;  // (N, L)
  std::vector<int64_t> labels;  // (N, L)
  // Slice values attached to every example of the segment, e.g. {"num_kv_pairs": 4,
  // "input_seq_len": 64, "num_passes": 1}; used for per-slice accuracy.
  std::map<std::string, int64_t> slices;
};

}  // namespace zoolab
