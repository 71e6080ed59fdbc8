#include "engine/train/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "engine/formats/safetensors_header.h"
#include "engine/text/utf8.h"
#include "engine/util/input_error.h"
#include "engine/util/memory_budget.h"

namespace zoolab {
namespace {

struct DtypeInfo {
  const char* name;
  torch::ScalarType type;
  int64_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {"F32", torch::kFloat32, 4},   {"F64", torch::kFloat64, 8}, {"F16", torch::kFloat16, 2},
    {"BF16", torch::kBFloat16, 2}, {"I64", torch::kInt64, 8},   {"I32", torch::kInt32, 4},
    {"I16", torch::kInt16, 2},     {"I8", torch::kInt8, 1},     {"U8", torch::kUInt8, 1},
    {"BOOL", torch::kBool, 1},
};

const DtypeInfo* dtype_by_type(torch::ScalarType type) {
  for (const auto& info : kDtypes) {
    if (type == info.type) {
      return &info;
    }
  }
  return nullptr;
}

}  // namespace

void write_safetensors(const std::string& path, const NamedTensors& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) {
    header["__metadata__"] = metadata;
  }
  std::vector<torch::Tensor> contiguous;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    if (name == "__metadata__" || !names.insert(name).second) {
      throw std::runtime_error("cannot write " + path + ": duplicate or reserved tensor name \"" + name +
                               "\"");
    }
    const auto* dtype = dtype_by_type(tensor.scalar_type());
    if (dtype == nullptr) {
      throw std::runtime_error("cannot write " + path + ": tensor \"" + name +
                               "\" has an unsupported dtype " +
                               std::string(c10::toString(tensor.scalar_type())));
    }
    auto data = tensor.detach().to(torch::kCPU).contiguous();
    const auto bytes = static_cast<uint64_t>(data.numel()) * static_cast<uint64_t>(dtype->size);
    header[name] = {
        {"dtype", dtype->name}, {"shape", data.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(data);
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');  // align the data to 8 bytes
  const uint64_t header_size = header_text.size();

  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) {
      throw std::runtime_error("cannot write " + temp);
    }
    unsigned char length[8];
    for (int i = 0; i < 8; ++i) {
      length[i] = static_cast<unsigned char>((header_size >> (8 * i)) & 0xff);
    }
    out.write(reinterpret_cast<const char*>(length), 8);
    out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    for (const auto& data : contiguous) {
      // Host byte order is little-endian on every platform we build for (x86-64, aarch64).
      out.write(static_cast<const char*>(data.data_ptr()), static_cast<std::streamsize>(data.nbytes()));
    }
    out.flush();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(temp, ignored);
      throw std::runtime_error("cannot write " + temp + " (disk full?)");
    }
  }
  std::filesystem::rename(temp, path);
}

SafetensorsFile read_safetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    throw std::runtime_error("cannot open safetensors file " + path);
  }
  const auto size = static_cast<uint64_t>(std::max<std::streamoff>(0, in.tellg()));
  if (const auto shortfall = memory_shortfall(size)) {
    throw InputError("safetensors file " + path + ": reading it " + *shortfall);
  }
  std::string content(size, '\0');
  in.seekg(0);
  if (!in.read(content.data(), static_cast<std::streamsize>(size))) {
    throw std::runtime_error("cannot read safetensors file " + path);
  }
  const auto layout = parse_safetensors(content, path);

  SafetensorsFile file;
  file.metadata = layout.metadata;
  const char* data = content.data() + layout.data_offset;
  for (const auto& entry : layout.entries) {
    // Every entry is checked: a known dtype, numel and byte span that fit, offsets inside the buffer.
    torch::ScalarType type = torch::kFloat32;
    for (const auto& info : kDtypes) {
      if (entry.dtype == info.name) {
        type = info.type;
      }
    }
    if (type == torch::kBool) {
      // A bool byte other than 0 or 1 is undefined behaviour in torch's kernels.
      for (uint64_t i = entry.begin; i < entry.end; ++i) {
        if (static_cast<unsigned char>(data[i]) > 1) {
          throw InputError("safetensors file " + path + ": tensor \"" + escape_for_terminal(entry.name) +
                           "\" of dtype BOOL holds the byte " +
                           std::to_string(static_cast<unsigned char>(data[i])) +
                           " (only 0 and 1 are booleans)");
        }
      }
    }
    auto tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(type));
    if (entry.end > entry.begin) {
      std::memcpy(tensor.data_ptr(), data + entry.begin, entry.end - entry.begin);
    }
    file.tensors.emplace_back(entry.name, tensor);
  }
  return file;
}

}  // namespace zoolab
