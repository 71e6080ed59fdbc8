#include "kernels/chunking.h"

#include "kernels/batched_matmul.h"

#include <algorithm>
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

torch::Tensor chunk_matmul(const torch::Tensor& a, const torch::Tensor& b) {
  TORCH_CHECK(a.dim() == b.dim() && a.dim() >= 2 && a.size(-1) == b.size(-2),
              "chunk_matmul: expected (..., M, K) and (..., K, P) of one rank, got ", a.sizes(), " and ",
              b.sizes());
  std::vector<int64_t> lead;
  for (int64_t d = 0; d + 2 < a.dim(); ++d) {
    TORCH_CHECK(a.size(d) == b.size(d) || a.size(d) == 1 || b.size(d) == 1,
                "chunk_matmul: leading dimensions do not broadcast: ", a.sizes(), " and ", b.sizes());
    lead.push_back(std::max(a.size(d), b.size(d)));
  }
  auto full = [&lead](const torch::Tensor& t) {
    std::vector<int64_t> shape = lead;
    shape.insert(shape.end(), {t.size(-2), t.size(-1)});
    return t.expand(shape).reshape({-1, t.size(-2), t.size(-1)});
  };
  auto shape = lead;
  shape.insert(shape.end(), {a.size(-2), b.size(-1)});
  return batched_matmul(full(a), full(b)).view(shape);
}

}  // namespace zoolab::kernels
