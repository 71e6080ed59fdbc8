#include "models/mixers/feature_maps.h"

#include <cmath>
#include <stdexcept>

#include <torch/torch.h>

namespace zoolab {

torch::Tensor TaylorExpImpl::forward(const torch::Tensor& x) {
  const double f = static_cast<double>(m_options.input_dim());
  const double root_f = std::sqrt(f), fourth_root_f = std::sqrt(root_f);
  // The full outer product (f² terms, off-diagonal pairs counted twice), as Zoology's forward does;
  // dividing by √2·√f makes its dot product (q·k)²/(2f).
  auto second = (x.unsqueeze(-1) * x.unsqueeze(-2)).flatten(-2) / (std::sqrt(2.0) * root_f);  // (..., f²)
  auto ones = torch::ones_like(x.narrow(-1, 0, 1));                                           // (..., 1)
  return torch::cat({ones, x / fourth_root_f, second}, -1);  // (..., 1 + f + f²)
}

int64_t TaylorExpImpl::expanded_size() const {
  const int64_t f = m_options.input_dim();
  return f * (f + 1) / 2 + f + 1;
}

torch::Tensor PosELUImpl::forward(const torch::Tensor& x) {
  return torch::elu(x * m_options.temp()) + 1;
}

torch::Tensor ReLUFeatureMapImpl::forward(const torch::Tensor& x) {
  return torch::relu(x * m_options.temp()).clamp_min(m_options.eps());
}

torch::Tensor SquareFeatureMapImpl::forward(const torch::Tensor& x) {
  return x * x;
}

torch::Tensor CosFormerImpl::forward(const torch::Tensor& x) {
  // x: (..., L, f). Position i (1-based) of a length-L input is weighted by angle πi/(2L), so the
  // weights depend on L (the whole input), not only on the prefix: cosFormer's own definition.
  const int64_t len = x.size(-2);
  auto positive = torch::relu(x);
  auto angle = (torch::arange(1, len + 1, x.options()) * (M_PI / 2) / static_cast<double>(len)).unsqueeze(-1);
  return torch::cat({positive * torch::sin(angle), positive * torch::cos(angle)}, -1);  // (..., L, 2f)
}

PerformerImpl::PerformerImpl(const FeatureMapOptions& options) : FeatureMapImpl(options) {
  // Orthogonal random features: full blocks of a random orthogonal f×f matrix (rows), then part of
  // one more for the remainder, rescaled by 1/√(blocks + remainder/f) as the reference does.
  const int64_t f = options.input_dim(), m = kExpandedDim;
  auto orthogonal_square = [f]() { return std::get<0>(torch::linalg_qr(torch::randn({f, f}))).t(); };
  const int64_t squares = m / f, remainder = m - f * squares;
  std::vector<torch::Tensor> blocks;
  for (int64_t i = 0; i < squares; ++i) {
    blocks.push_back(orthogonal_square());
  }
  if (remainder > 0) {
    blocks.push_back(orthogonal_square().narrow(0, 0, remainder));
  }
  auto matrix = torch::cat(blocks, 0) / std::sqrt(static_cast<double>(squares) +
                                                  static_cast<double>(remainder) / static_cast<double>(f));
  random_feats = register_buffer("random_feats", matrix.contiguous());
}

torch::Tensor PerformerImpl::forward(const torch::Tensor& x) {
  const double f = static_cast<double>(x.size(-1));
  const auto scaled = x / std::pow(f, 0.25);
  // h(x) = exp(-|x|²/2) turns the RBF random features into softmax-kernel features.
  auto h = torch::exp(-scaled.pow(2).sum(-1, /*keepdim=*/true) / 2);                        // (..., 1)
  auto projected = torch::matmul(scaled, random_feats.to(scaled.dtype()).t());              // (..., m)
  return h / std::sqrt(static_cast<double>(random_feats.size(0))) * torch::exp(projected);  // (..., m)
}

AllPolyImpl::AllPolyImpl(const FeatureMapOptions& options) : FeatureMapImpl(options) {
  const int64_t f = options.input_dim();
  proj_1 = register_module("proj_1", torch::nn::Linear(torch::nn::LinearOptions(f, f).bias(false)));
  proj_2 = register_module("proj_2", torch::nn::Linear(torch::nn::LinearOptions(f, f).bias(false)));
  torch::NoGradGuard no_grad;
  // Zoology's "randn" init; the backbone's GPT-2 init overwrites it, as in the reference.
  proj_1->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(f)));
  proj_2->weight.normal_(0.0, 1.0 / std::sqrt(static_cast<double>(f)));
}

torch::Tensor AllPolyImpl::forward(const torch::Tensor& x) {
  return (proj_1(x).pow(2) + proj_2(x * x)) / std::sqrt(2.0);  // (..., f)
}

const std::vector<std::string>& feature_map_names() {
  static const std::vector<std::string> names = {"taylor_exp", "identity",  "pos_elu",   "relu",
                                                 "square",     "cosformer", "performer", "all_poly"};
  return names;
}

FeatureMapPtr make_feature_map(const std::string& name, const FeatureMapOptions& options) {
  if (name == "taylor_exp") {
    return std::make_shared<TaylorExpImpl>(options);
  }
  if (name == "identity") {
    return std::make_shared<FeatureMapImpl>(options);
  }
  if (name == "pos_elu") {
    return std::make_shared<PosELUImpl>(options);
  }
  if (name == "relu") {
    return std::make_shared<ReLUFeatureMapImpl>(options);
  }
  if (name == "square") {
    return std::make_shared<SquareFeatureMapImpl>(options);
  }
  if (name == "cosformer") {
    return std::make_shared<CosFormerImpl>(options);
  }
  if (name == "performer") {
    return std::make_shared<PerformerImpl>(options);
  }
  if (name == "all_poly") {
    return std::make_shared<AllPolyImpl>(options);
  }
  throw std::invalid_argument("feature map: unknown feature_name \"" + name + "\"");
}

}  // namespace zoolab
