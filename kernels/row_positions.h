#pragma once

// The positions a "rows" kernel computes at (kernels/attention_rows.h, kernels/causal_conv_rows.h): flat
// indices b·L + i into B·L, strictly increasing, so that each example's rows are one contiguous run and
// no two tasks over these runs write the same example's gradients.

#include <cstdint>
#include <vector>

#include <torch/types.h>

namespace zoolab::kernels {

// positions as a contiguous (N,) int64 CPU tensor; throws naming `component` unless every entry lies in
// [0, cells) and each is larger than the one before.
torch::Tensor checked_row_positions(const char* component, const torch::Tensor& positions, int64_t cells);

// Rows [start[e], start[e + 1]) are those of example example[e].
struct ExampleRuns {
  std::vector<int64_t> example, start;
  int64_t size() const { return static_cast<int64_t>(example.size()); }
  int64_t first(int64_t e) const { return start[static_cast<size_t>(e)]; }
  int64_t rows(int64_t e) const { return start[static_cast<size_t>(e) + 1] - first(e); }
};

// The runs of `rows` increasing positions (checked_row_positions) of sequences of length seq_len.
ExampleRuns example_runs(const int64_t* positions, int64_t rows, int64_t seq_len);

}  // namespace zoolab::kernels
