#pragma once

// The safetensors file format (https://github.com/huggingface/safetensors), our own implementation:
//   uint64 little-endian N, then N bytes of JSON
//     {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {str: str}},
//   then the raw little-endian tensor bytes; offsets are relative to the byte buffer after the header.
// Tensors are contiguous, non-overlapping and cover the buffer exactly.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

namespace zoolab {

using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

struct SafetensorsFile {
  NamedTensors tensors;  // in file order (ascending data offset), on the CPU
  std::map<std::string, std::string> metadata;
};

// Writes F32, F64, F16, BF16, I64, I32, I16, I8, U8 and BOOL tensors (any device, any layout) in the
// given order, atomically (temporary file beside `path`, then rename). Throws std::runtime_error
// naming the tensor for an unsupported dtype or a duplicate name, and the path when writing fails.
void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Reads the whole file. Throws std::runtime_error naming the file and the problem (truncated,
// header length past the end, bad JSON, unknown dtype, offsets out of range, overlapping or not
// covering the buffer, shape × dtype size ≠ byte span, duplicate names).
SafetensorsFile read_safetensors(const std::string& path);

}  // namespace zoolab
