#pragma once

// The torch device of a --device option, shared by the trainers.

#include <string>

#include <torch/types.h>

namespace zoolab {

// "cpu" or "cuda"; throws std::runtime_error naming the option when CUDA is not there or the name is
// unknown.
torch::Device resolve_device(const std::string& name);

}  // namespace zoolab
