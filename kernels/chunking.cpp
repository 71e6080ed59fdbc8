#include "kernels/chunking.h"

#include <vector>

#include <torch/torch.h>

namespace zoolab::kernels {

torch::Tensor split_into_chunks(const torch::Tensor& x, int64_t chunk) {
  TORCH_CHECK(x.dim() >= 3 && chunk >= 1,
              "split_into_chunks: expected (B, H, L, ...) and a chunk of at least 1, got ", x.sizes(),
              " and ", chunk);
  const int64_t len = x.size(2), chunks = (len + chunk - 1) / chunk, pad = chunks * chunk - len;
  // constant_pad_nd reads (before, after) pairs from the last dimension backwards; L is dimension 2.
  std::vector<int64_t> padding(2 * (x.dim() - 2), 0);
  padding.back() = pad;
  const auto padded = pad > 0 ? torch::constant_pad_nd(x, padding) : x;
  std::vector<int64_t> shape{x.size(0), x.size(1), chunks, chunk};
  for (int64_t d = 3; d < x.dim(); ++d) {
    shape.push_back(x.size(d));
  }
  return padded.reshape(shape);
}

}  // namespace zoolab::kernels
