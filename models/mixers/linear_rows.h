#pragma once

// A projection over the last dimension of a (..., in) input, run on its (rows, in) view as one product
// with the bias inside it (x Wᵀ + b). On the CPU in float32 where the AVX-512 kernels run:
// - the forward is the packed product (kernels/packed_product.h), whose register tiles start from the bias
//   and write each output once. BLAS first zero-fills the output (beta = 0) or copies the bias into it
//   (addmm): a pass over the output that took about half as long as the product itself in Hyena's
//   evaluation (perf);
// - with gradients, the backward's two products dx = dy · W and dW = dyᵀ · x come from one pass over dy
//   (kernels/dual_product.h), and db = Σ dy.
// Elsewhere one addmm (LibTorch 1.13's linear runs a 3-D input as a product and a second pass adding the
// bias).

#include <torch/nn/modules/linear.h>
#include <torch/types.h>

namespace zoolab {

// x: (..., in) → (..., out). weight: (out, in); bias: (out,) or undefined.
torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& weight, const torch::Tensor& bias);

// The same for a Linear module.
torch::Tensor linear_rows(const torch::nn::Linear& layer, const torch::Tensor& x);

}  // namespace zoolab
