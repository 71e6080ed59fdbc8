#include "models/mixers/linear_rows.h"

#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/packed_product.h"

namespace zoolab {
namespace {

// Rows per task of the packed product: 20 register tiles.
constexpr int64_t kRowsPerTask = 20 * kernels::kPackedTileRows;

}  // namespace

torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = weight.size(0);
  const auto rows = x.reshape({-1, x.size(-1)});  // (N, in)
  const bool tiled = !torch::GradMode::is_enabled() && kernels::packed_product_available() && x.is_cpu() &&
                     x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat &&
                     (!bias.defined() || bias.scalar_type() == torch::kFloat);
  if (tiled) {
    const auto w = weight.contiguous();
    const kernels::PackedWeight packed(w.data_ptr<float>(), w.size(0), w.size(1));
    const auto input = rows.contiguous();
    const auto b = bias.defined() ? bias.contiguous() : torch::Tensor();
    auto y = torch::empty({input.size(0), w.size(0)}, input.options());  // (N, out)
    const float* x_data = input.data_ptr<float>();
    const float* b_data = b.defined() ? b.data_ptr<float>() : nullptr;
    float* y_data = y.data_ptr<float>();
    // Row blocks over the threads, as BLAS would use them (inline within a row shard's thread).
    at::parallel_for(0, input.size(0), kRowsPerTask, [&](int64_t first, int64_t last) {
      kernels::packed_product(x_data + first * w.size(1), last - first, packed, b_data,
                              y_data + first * w.size(0));
    });
    return y.view(shape);
  }
  const auto y = bias.defined() ? torch::addmm(bias, rows, weight.t()) : torch::mm(rows, weight.t());
  return y.view(shape);  // (..., out)
}

torch::Tensor linear_rows(const torch::nn::Linear& layer, const torch::Tensor& x) {
  return affine(x, layer->weight, layer->bias);
}

}  // namespace zoolab
