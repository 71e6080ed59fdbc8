#include "models/mixers/linear_rows.h"

#include <vector>

#include <ATen/Parallel.h>
#include <torch/torch.h>

#include "kernels/dual_product.h"
#include "kernels/packed_product.h"

namespace zoolab {
namespace {

// Rows per task of the packed product: 20 register tiles.
constexpr int64_t kRowsPerTask = 20 * kernels::kPackedTileRows;

// y (N, out) = x (N, in) · Wᵀ + b by the packed product, row blocks over the threads as BLAS would use
// them (inline within a row shard's thread).
torch::Tensor packed_affine(const torch::Tensor& x, const kernels::PackedWeight& packed,
                            const torch::Tensor& bias) {
  const auto input = x.contiguous();
  const auto b = bias.defined() ? bias.contiguous() : torch::Tensor();
  auto y = torch::empty({input.size(0), packed.out()}, input.options());  // (N, out)
  const float* x_data = input.data_ptr<float>();
  const float* b_data = b.defined() ? b.data_ptr<float>() : nullptr;
  float* y_data = y.data_ptr<float>();
  at::parallel_for(0, input.size(0), kRowsPerTask, [&](int64_t first, int64_t last) {
    kernels::packed_product(x_data + first * packed.k(), last - first, packed, b_data,
                            y_data + first * packed.out());
  });
  return y;
}

// The projection with gradients: the packed product forward, and the backward's two products,
// dx = dy · W and dW = dyᵀ · x, from one pass over dy (kernels/dual_product.h). A forward with a bias and
// one without: LibTorch 1.13's custom functions take no undefined tensor.
class PackedAffine : public torch::autograd::Function<PackedAffine> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const torch::Tensor& bias,
                               const kernels::PackedWeight* packed) {
    ctx->saved_data["has_bias"] = true;
    return forward_of(ctx, x, weight, bias, *packed);
  }

  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, const kernels::PackedWeight* packed) {
    ctx->saved_data["has_bias"] = false;
    return forward_of(ctx, x, weight, torch::Tensor(), *packed);
  }

  static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                               torch::autograd::tensor_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const auto& x = saved[0];                         // (N, in)
    const auto& w = saved[1];                         // (out, in)
    const auto dy = grad_outputs[0].contiguous();     // (N, out)
    auto [dx, dw] = kernels::dual_product(dy, w, x);  // (N, in), (out, in)
    if (ctx->saved_data["has_bias"].toBool()) {
      return {dx, dw, dy.sum(0), torch::Tensor()};  // db (out,); none for the packed weight
    }
    return {dx, dw, torch::Tensor()};
  }

 private:
  static torch::Tensor forward_of(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                  const torch::Tensor& weight, const torch::Tensor& bias,
                                  const kernels::PackedWeight& packed) {
    const auto input = x.contiguous();
    ctx->save_for_backward({input, weight.contiguous()});
    return packed_affine(input, packed, bias);
  }
};

}  // namespace

torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias) {
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().end());
  shape.back() = weight.size(0);
  const auto rows = x.reshape({-1, x.size(-1)});  // (N, in)
  // The packed product where it applies to the weight (kernels::pack_weight), with a float32 CPU input and
  // bias; with gradients the dual product (the same AVX-512 test) runs the backward.
  const bool float_cpu = x.is_cpu() && x.scalar_type() == torch::kFloat && rows.size(0) > 0 &&
                         (!bias.defined() || (bias.is_cpu() && bias.scalar_type() == torch::kFloat));
  if (const auto packed = float_cpu ? kernels::pack_weight(weight) : std::nullopt) {
    if (!torch::GradMode::is_enabled()) {
      return packed_affine(rows, *packed, bias).view(shape);
    }
    return (bias.defined() ? PackedAffine::apply(rows, weight, bias, &*packed)
                           : PackedAffine::apply(rows, weight, &*packed))
        .view(shape);
  }
  const auto y = bias.defined() ? torch::addmm(bias, rows, weight.t()) : torch::mm(rows, weight.t());
  return y.view(shape);  // (..., out)
}

torch::Tensor linear_rows(const torch::nn::Linear& layer, const torch::Tensor& x) {
  return affine(x, layer->weight, layer->bias);
}

}  // namespace zoolab
