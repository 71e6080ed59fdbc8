#pragma once

// The safetensors file format (https://github.com/huggingface/safetensors), read by our own code:
//   uint64 little-endian N, then N bytes of JSON
//     {name: {"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {str: str}},
//   then the raw little-endian tensor bytes; offsets are relative to the byte buffer after the header.
// Tensors are contiguous, non-overlapping and cover the buffer exactly. The format has no checksum, so
// a file is validated in full instead: header length within the file (and at most 100 MB, the limit of
// the reference implementation), strict JSON, known dtypes, shapes whose element count and byte size
// are computed with overflow checks, offsets inside the buffer, no overlap, no gap.
// This part is torch-free (and fuzzed); engine/train/safetensors.h builds tensors from what it returns.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace zoolab {

inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

struct SafetensorsEntry {
  std::string name;
  std::string dtype;         // "F32", "F64", "F16", "BF16", "I64", "I32", "I16", "I8", "U8" or "BOOL"
  int64_t element_size = 0;  // bytes
  std::vector<int64_t> shape;
  int64_t numel = 0;   // the product of shape, checked to fit
  uint64_t begin = 0;  // byte range in the data buffer, end - begin == numel · element_size
  uint64_t end = 0;
};

struct SafetensorsLayout {
  std::vector<SafetensorsEntry> entries;  // ascending begin (file order)
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;  // of the data buffer in the file: 8 + N
};

// The element size of a safetensors dtype name we read, 0 for any other.
int64_t safetensors_element_size(std::string_view dtype);

// Parses and checks the header of a whole safetensors file held in `bytes` against the file's size.
// Throws InputError "safetensors file <path>: <problem>" naming the tensor (escaped) and the field;
// never reads outside `bytes`. The torch-free entry point for fuzzing.
SafetensorsLayout parse_safetensors(std::string_view bytes, const std::string& path);

}  // namespace zoolab
