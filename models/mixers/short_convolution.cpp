#include "models/mixers/short_convolution.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace zoolab {

CausalShortConvImpl::CausalShortConvImpl(const CausalShortConvOptions& options) : m_options(options) {
  if (options.channels() < 1 || options.kernel_size() < 1) {
    throw std::invalid_argument("short convolution: channels (" + std::to_string(options.channels()) +
                                ") and kernel_size (" + std::to_string(options.kernel_size()) +
                                ") must be positive");
  }
  // Conv1d's default initialisation: kaiming_uniform(a = √5) over fan_in = K is U(±1/√K), as is its bias.
  const double bound = 1.0 / std::sqrt(static_cast<double>(options.kernel_size()));
  weight = register_parameter(
      "weight", torch::empty({options.channels(), 1, options.kernel_size()}).uniform_(-bound, bound));
  if (options.bias()) {
    bias = register_parameter("bias", torch::empty({options.channels()}).uniform_(-bound, bound));
  }
}

torch::Tensor CausalShortConvImpl::forward(const torch::Tensor& x) {
  const int64_t len = x.size(1);
  // Padding K-1 on both sides, keeping the first L outputs: output t sees x_{t-K+1..t}.
  auto y =
      torch::conv1d(x.transpose(1, 2), weight, bias, /*stride=*/1, /*padding=*/m_options.kernel_size() - 1,
                    /*dilation=*/1, /*groups=*/m_options.channels())
          .narrow(2, 0, len)
          .transpose(1, 2);  // (B, L, D)
  return m_options.silu() ? torch::silu(y) : y;
}

}  // namespace zoolab
