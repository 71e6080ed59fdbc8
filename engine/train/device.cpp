#include "engine/train/device.h"

#include <stdexcept>

#include <torch/cuda.h>

namespace zoolab {

torch::Device resolve_device(const std::string& name) {
  if (name == "cpu") {
    return torch::kCPU;
  }
  if (name == "cuda") {
    if (!torch::cuda::is_available()) {
      throw std::runtime_error(
          "--device cuda: this LibTorch has no CUDA support or no GPU is visible; use --device cpu");
    }
    return torch::kCUDA;
  }
  throw std::runtime_error("unknown device \"" + name + "\"; allowed: cpu, cuda");
}

}  // namespace zoolab
