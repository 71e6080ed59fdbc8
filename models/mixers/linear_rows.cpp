#include "models/mixers/linear_rows.h"

#include <vector>

#include <torch/torch.h>

#include "kernels/packed_product.h"

namespace zoolab {

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
    kernels::packed_product(input.data_ptr<float>(), input.size(0), packed,
                            b.defined() ? b.data_ptr<float>() : nullptr, y.data_ptr<float>());
    return y.view(shape);
  }
  const auto y = bias.defined() ? torch::addmm(bias, rows, weight.t()) : torch::mm(rows, weight.t());
  return y.view(shape);  // (..., out)
}

torch::Tensor linear_rows(const torch::nn::Linear& layer, const torch::Tensor& x) {
  return affine(x, layer->weight, layer->bias);
}

}  // namespace zoolab
