#include "models/lora.h"

#include <cmath>

#include <torch/torch.h>

namespace zoolab {

LoRAImpl::LoRAImpl(int64_t input_dim, int64_t output_dim, int64_t low_rank_dim, bool bias,
                   LoRAActivation activation) {
  torch::nn::Sequential layers;
  torch::nn::Linear down(torch::nn::LinearOptions(input_dim, low_rank_dim).bias(false));
  torch::nn::Linear up(torch::nn::LinearOptions(low_rank_dim, output_dim).bias(bias));
  layers->push_back(down);
  switch (activation) {
    case LoRAActivation::None:
      layers->push_back(torch::nn::Identity());
      break;
    case LoRAActivation::Tanh:
      layers->push_back(torch::nn::Tanh());
      break;
    case LoRAActivation::Sigmoid:
      layers->push_back(torch::nn::Sigmoid());
      break;
    case LoRAActivation::Relu:
      layers->push_back(torch::nn::ReLU());
      break;
  }
  layers->push_back(up);
  lora = register_module("lora", layers);

  // fla's _initialize_weights (fla/layers/rwkv6.py): the down projection starts at zero, so the LoRA
  // starts as its bias; the up projection orthogonal, scaled by 0.1.
  torch::NoGradGuard no_grad;
  down->weight.zero_();
  const double gain = low_rank_dim > output_dim
                          ? std::sqrt(static_cast<double>(low_rank_dim) / static_cast<double>(output_dim))
                          : 1.0;
  torch::nn::init::orthogonal_(up->weight, gain * 0.1);
  if (bias) {
    up->bias.zero_();
  }
}

torch::Tensor LoRAImpl::forward(const torch::Tensor& x) {
  return lora->forward(x);
}

}  // namespace zoolab
