#include "kernels/row_positions.h"

#include <torch/torch.h>

namespace zoolab::kernels {

torch::Tensor checked_row_positions(const char* component, const torch::Tensor& positions, int64_t cells) {
  TORCH_CHECK(positions.dim() == 1 && positions.scalar_type() == torch::kLong && positions.device().is_cpu(),
              component, ": positions must be (N,) int64 on the CPU, got ", positions.sizes());
  auto index = positions.contiguous();
  const int64_t* data = index.data_ptr<int64_t>();
  for (int64_t r = 0; r < index.size(0); ++r) {
    TORCH_CHECK(data[r] >= 0 && data[r] < cells && (r == 0 || data[r] > data[r - 1]), component,
                ": positions must increase strictly within [0, B·L = ", cells, "); entry ", r, " is ",
                data[r]);
  }
  return index;
}

ExampleRuns example_runs(const int64_t* positions, int64_t rows, int64_t seq_len) {
  ExampleRuns runs;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t b = positions[r] / seq_len;
    if (runs.example.empty() || runs.example.back() != b) {
      runs.example.push_back(b);
      runs.start.push_back(r);
    }
  }
  runs.start.push_back(rows);
  return runs;
}

}  // namespace zoolab::kernels
