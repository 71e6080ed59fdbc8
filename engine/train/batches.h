#pragma once

// The batches of a split, laid out as Zoology's _SyntheticDataset does
// (docs/reference.md#segments-seeds-and-batches): segment by segment in config order, consecutive examples of
// one segment per batch (the last batch of a segment may be short), never mixing segments, since their
// lengths can differ.

#include <map>
#include <string>
#include <vector>

#include <torch/types.h>

#include "engine/config/run_config.h"
#include "engine/data/tasks/mqar.h"

namespace zoolab {

struct Batch {
  int64_t segment = 0;
  int64_t first_example = 0;  // index of the first example within its segment
  torch::Tensor inputs;       // (B, L) int64
  torch::Tensor labels;       // (B, L) int64, kIgnoreLabel where unlabelled
  torch::Tensor positions;    // (N,) flat indices into B·L of the labelled positions
  torch::Tensor targets;      // (N,) labels at those positions
  torch::Tensor example_of;   // (N,) row (0..B-1) of each labelled position
};

struct SplitData {
  std::vector<TokenSegment> segments;  // shape and slices only: the tokens live in the batches
  int64_t batch_size = 0;
  std::vector<Batch> batches;
  int64_t num_examples() const;
};

// Loads (from the cache) or generates every segment of a split with its seed.
std::vector<TokenSegment> load_segments(const std::vector<SegmentConfig>& configs,
                                        const std::vector<uint64_t>& seeds, int64_t vocab_size,
                                        const std::string& cache_dir);

// Cuts segments into batches on `device`. With `order` (one permutation per segment, from
// shuffled_order) the examples of each segment are visited in that order (the paper-era shuffle).
SplitData make_batches(std::vector<TokenSegment> segments, int64_t batch_size, const torch::Device& device,
                       const std::vector<std::vector<int64_t>>* order = nullptr);

// One permutation per segment, a function of (seed, epoch) only, so a resumed run sees the same order.
std::vector<std::vector<int64_t>> shuffled_order(const std::vector<TokenSegment>& segments, uint64_t seed,
                                                 int64_t epoch);

// Rows [first, first + count) of a batch of `rows`: part r of w (a data-parallel rank, a step's shard)
// takes the r-th of w contiguous blocks, the first rows % w blocks one row longer (count may be 0 when
// rows < w).
struct RowBlock {
  int64_t first = 0;
  int64_t count = 0;
};
RowBlock row_block(int64_t rows, int rank, int world_size);

// The rows `block` of an MQAR batch, its labelled positions renumbered within them.
Batch batch_rows(const Batch& batch, RowBlock block);

}  // namespace zoolab
