#pragma once

// The safetensors file format (https://github.com/huggingface/safetensors), our own implementation;
// the layout and every check of a file read are in engine/formats/safetensors_header.h (torch-free).
// This part writes files and turns validated entries into tensors.

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

// Reads the whole file (its size checked against the memory budget first). Throws InputError naming
// the file, the tensor and the problem (parse_safetensors: truncated, header length past the end, bad
// JSON, duplicate names, unknown dtype, shape products that overflow, offsets out of range,
// overlapping or not covering the buffer, shape × dtype size ≠ byte span); std::runtime_error when the
// file cannot be opened.
SafetensorsFile read_safetensors(const std::string& path);

}  // namespace zoolab
