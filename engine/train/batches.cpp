#include "engine/train/batches.h"

#include <algorithm>
#include <numeric>

#include <torch/torch.h>

#include "engine/data/dataset_cache.h"
#include "engine/data/rng.h"

namespace zoolab {

int64_t SplitData::num_examples() const {
  int64_t total = 0;
  for (const auto& segment : segments) {
    total += segment.num_examples;
  }
  return total;
}

std::vector<TokenSegment> load_segments(const std::vector<SegmentConfig>& configs,
                                        const std::vector<uint64_t>& seeds, int64_t vocab_size,
                                        const std::string& cache_dir) {
  std::vector<TokenSegment> segments;
  segments.reserve(configs.size());
  for (size_t i = 0; i < configs.size(); ++i) {
    segments.push_back(load_or_generate(configs[i], vocab_size, seeds.at(i), cache_dir));
  }
  return segments;
}

namespace {

torch::Tensor as_tensor(const std::vector<int64_t>& values, int64_t rows, int64_t cols) {
  return torch::from_blob(const_cast<int64_t*>(values.data()), {rows, cols}, torch::kLong).clone();
}

Batch make_batch(const torch::Tensor& inputs, const torch::Tensor& labels, int64_t segment, int64_t first,
                 const torch::Device& device) {
  Batch batch;
  batch.segment = segment;
  batch.first_example = first;
  batch.inputs = inputs.contiguous().to(device);
  batch.labels = labels.contiguous().to(device);
  const auto flat = batch.labels.view({-1});
  batch.positions = (flat != kIgnoreLabel).nonzero().view({-1});  // (N,)
  batch.targets = flat.index_select(0, batch.positions);
  batch.example_of = torch::div(batch.positions, labels.size(1), /*rounding_mode=*/"floor");
  return batch;
}

}  // namespace

SplitData make_batches(std::vector<TokenSegment> segments, int64_t batch_size, const torch::Device& device,
                       const std::vector<std::vector<int64_t>>* order) {
  SplitData split;
  split.batch_size = batch_size;
  split.segments = std::move(segments);
  for (size_t s = 0; s < split.segments.size(); ++s) {
    const auto& segment = split.segments[s];
    auto inputs = as_tensor(segment.inputs, segment.num_examples, segment.seq_len);  // (N, L)
    auto labels = as_tensor(segment.labels, segment.num_examples, segment.seq_len);  // (N, L)
    if (order != nullptr) {
      auto index = torch::tensor((*order)[s], torch::kLong);
      inputs = inputs.index_select(0, index);
      labels = labels.index_select(0, index);
    }
    for (int64_t start = 0; start < segment.num_examples; start += batch_size) {
      const int64_t size = std::min(batch_size, segment.num_examples - start);
      split.batches.push_back(make_batch(inputs.narrow(0, start, size), labels.narrow(0, start, size),
                                         static_cast<int64_t>(s), start, device));
    }
  }
  // The batches own the tokens now; keep only each segment's shape and slices.
  for (auto& segment : split.segments) {
    std::vector<int64_t>().swap(segment.inputs);
    std::vector<int64_t>().swap(segment.labels);
  }
  return split;
}

std::vector<std::vector<int64_t>> shuffled_order(const std::vector<TokenSegment>& segments, uint64_t seed,
                                                 int64_t epoch) {
  // Distinct streams per epoch: mix the epoch into the seed with a SplitMix64 step.
  uint64_t state = seed ^ (0x5851f42d4c957f2dULL * static_cast<uint64_t>(epoch + 1));
  Rng rng(splitmix64_next(state));
  std::vector<std::vector<int64_t>> orders;
  for (const auto& segment : segments) {
    orders.push_back(rng.sample_without_replacement(segment.num_examples, segment.num_examples));
  }
  return orders;
}

RowBlock row_block(int64_t rows, int rank, int world_size) {
  const int64_t base = rows / world_size;
  const int64_t extra = rows % world_size;
  RowBlock block;
  block.first = rank * base + std::min<int64_t>(rank, extra);
  block.count = base + (rank < extra ? 1 : 0);
  return block;
}

Batch batch_rows(const Batch& batch, RowBlock block) {
  const int64_t length = batch.inputs.size(1);
  Batch rows;
  rows.segment = batch.segment;
  rows.first_example = batch.first_example + block.first;
  rows.inputs = batch.inputs.narrow(0, block.first, block.count);  // (b, L)
  rows.labels = batch.labels.narrow(0, block.first, block.count);  // (b, L)
  // positions are ordered by row: those of the block are one contiguous run.
  const auto mine =
      (batch.example_of >= block.first).logical_and(batch.example_of < block.first + block.count);
  const auto picked = mine.nonzero().reshape({-1});                                 // (n,)
  rows.positions = batch.positions.index_select(0, picked) - block.first * length;  // (n,)
  rows.targets = batch.targets.index_select(0, picked);                             // (n,)
  rows.example_of = batch.example_of.index_select(0, picked) - block.first;         // (n,)
  return rows;
}

}  // namespace zoolab
