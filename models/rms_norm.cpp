#include "models/rms_norm.h"

#include <torch/torch.h>

namespace zoolab {

namespace {

torch::Tensor rms_normalise(const torch::Tensor& x, double eps) {
  return x * torch::rsqrt(x.pow(2).mean(-1, /*keepdim=*/true) + eps);
}

}  // namespace

RMSNormImpl::RMSNormImpl(int64_t dim, double eps) : m_eps(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  return rms_normalise(x, m_eps) * weight;
}

SwishGatedRMSNormImpl::SwishGatedRMSNormImpl(int64_t dim, double eps) : m_eps(eps) {
  weight = register_parameter("weight", torch::ones({dim}));
}

torch::Tensor SwishGatedRMSNormImpl::forward(const torch::Tensor& x, const torch::Tensor& gate) {
  return rms_normalise(x, m_eps) * weight * torch::silu(gate);
}

}  // namespace zoolab
