#include "models/mixers/interleaved_rotary.h"

#include <torch/torch.h>

namespace zoolab {

InterleavedRotaryImpl::InterleavedRotaryImpl(int64_t head_dim) {
  // rotary-embedding-torch: 1 / theta^(arange(0, d, 2) / d), computed in float32.
  const auto exponents = torch::arange(0, head_dim, 2, torch::kFloat) / static_cast<double>(head_dim);
  freqs = register_parameter("freqs", 1.0 / torch::pow(10000.0, exponents), /*requires_grad=*/false);
}

torch::Tensor InterleavedRotaryImpl::forward(const torch::Tensor& x) {
  const int64_t len = x.size(-2), half = freqs.size(0);
  // The reference multiplies positions by the frequencies in the frequencies' dtype (float32), then
  // casts the rotated result back to the input's dtype.
  const auto positions = torch::arange(len, freqs.options().requires_grad(false));
  const auto angles = positions.unsqueeze(1) * freqs.detach().unsqueeze(0);  // (L, d/2)
  const auto cos = torch::cos(angles).to(x.dtype());                         // (L, d/2)
  const auto sin = torch::sin(angles).to(x.dtype());                         // (L, d/2)
  auto sizes = x.sizes().vec();
  sizes.back() = half;
  sizes.push_back(2);
  const auto pairs = x.reshape(sizes);                               // (..., L, d/2, 2)
  const auto even = pairs.select(-1, 0), odd = pairs.select(-1, 1);  // (..., L, d/2)
  // (x_2m, x_2m+1) -> (x_2m cos - x_2m+1 sin, x_2m+1 cos + x_2m sin)
  return torch::stack({even * cos - odd * sin, odd * cos + even * sin}, -1).flatten(-2);  // (..., L, d)
}

}  // namespace zoolab
