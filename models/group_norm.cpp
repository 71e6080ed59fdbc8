#include "models/group_norm.h"

#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace zoolab {

GroupNormImpl::GroupNormImpl(int64_t num_groups, int64_t hidden_size, bool elementwise_affine, bool bias,
                             double eps)
    : m_groups(num_groups), m_eps(eps) {
  if (num_groups < 1 || hidden_size % num_groups != 0) {
    throw std::invalid_argument("GroupNorm: num_groups " + std::to_string(num_groups) +
                                " must be positive and divide hidden_size " + std::to_string(hidden_size));
  }
  if (elementwise_affine) {
    weight = register_parameter("weight", torch::ones({hidden_size}));
    if (bias) {
      this->bias = register_parameter("bias", torch::zeros({hidden_size}));
    }
  }
}

torch::Tensor GroupNormImpl::forward(const torch::Tensor& x) {
  const int64_t d = x.size(-1);
  auto shape = x.sizes().vec();
  shape.back() = m_groups;
  shape.push_back(d / m_groups);
  const auto grouped = x.reshape(shape);  // (..., G, D / G)
  const auto centred = grouped - grouped.mean(-1, /*keepdim=*/true);
  auto y = (centred * torch::rsqrt(centred.square().mean(-1, /*keepdim=*/true) + m_eps)).reshape(x.sizes());
  if (weight.defined()) {
    y = y * weight;
  }
  if (bias.defined()) {
    y = y + bias;
  }
  return y;
}

}  // namespace zoolab
