#pragma once

// The device on which the kernel tests run the device-generic (chunked) forms: ZOOLAB_TEST_DEVICE=cpu
// (the default) or cuda. tests/gpu/run.sh sets cuda, so those tests run the chunked forms on the GPU
// (the kernels' dispatchers choose them for non-CPU tensors) against the step-by-step references on
// the CPU. Asking for cuda where there is none is an error, not a silent fall back to the CPU.

#include <cstdlib>
#include <stdexcept>
#include <string>

#include <torch/torch.h>

namespace zoolab::test_support {

// The name ZOOLAB_TEST_DEVICE gives, "cpu" when unset or empty.
inline std::string test_device_name() {
  const char* name = std::getenv("ZOOLAB_TEST_DEVICE");
  return name == nullptr || *name == '\0' ? std::string("cpu") : std::string(name);
}

// The torch device of ZOOLAB_TEST_DEVICE; throws std::runtime_error naming the variable and its value
// when it is neither cpu nor cuda, or cuda without a CUDA device.
inline torch::Device test_device() {
  const std::string name = test_device_name();
  if (name == "cpu") {
    return torch::kCPU;
  }
  if (name == "cuda") {
    if (!torch::cuda::is_available()) {
      throw std::runtime_error("ZOOLAB_TEST_DEVICE=cuda: no CUDA device is available to this LibTorch");
    }
    return torch::kCUDA;
  }
  throw std::runtime_error("ZOOLAB_TEST_DEVICE must be cpu or cuda, got '" + name + "'");
}

// t on the test device, still differentiable with respect to the CPU tensor it came from (undefined
// stays undefined).
inline torch::Tensor on_test_device(const torch::Tensor& t) {
  return t.defined() ? t.to(test_device()) : t;
}

}  // namespace zoolab::test_support
