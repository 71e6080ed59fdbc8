#include "engine/train/safetensors.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <stdexcept>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

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

const DtypeInfo* dtype_by_name(const std::string& name) {
  for (const auto& info : kDtypes) {
    if (name == info.name) {
      return &info;
    }
  }
  return nullptr;
}

const DtypeInfo* dtype_by_type(torch::ScalarType type) {
  for (const auto& info : kDtypes) {
    if (type == info.type) {
      return &info;
    }
  }
  return nullptr;
}

struct Entry {
  std::string name;
  const DtypeInfo* dtype = nullptr;
  std::vector<int64_t> shape;
  uint64_t begin = 0;
  uint64_t end = 0;
};

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

[[noreturn]] void refuse(const std::string& path, const std::string& problem) {
  throw std::runtime_error("safetensors file " + path + ": " + problem);
}

Entry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& value) {
  const std::string where = "tensor \"" + name + "\"";
  if (!value.is_object()) {
    refuse(path, "bad JSON header: " + where + " is not an object");
  }
  Entry entry;
  entry.name = name;
  const auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) {
    refuse(path, "bad JSON header: " + where + " has no \"dtype\" string");
  }
  entry.dtype = dtype_by_name(dtype->get<std::string>());
  if (entry.dtype == nullptr) {
    refuse(path, "unknown dtype \"" + dtype->get<std::string>() + "\" of " + where);
  }
  const auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) {
    refuse(path, "bad JSON header: " + where + " has no \"shape\" array");
  }
  for (const auto& dim : *shape) {
    if (!dim.is_number_unsigned()) {
      refuse(path, "bad JSON header: " + where + " has a shape entry that is not a non-negative integer");
    }
    entry.shape.push_back(dim.get<int64_t>());
  }
  const auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
      !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
    refuse(path, "bad JSON header: " + where + " has no \"data_offsets\" pair of non-negative integers");
  }
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  if (entry.end < entry.begin) {
    refuse(path, "data_offsets of " + where + " end before they begin");
  }
  uint64_t bytes = static_cast<uint64_t>(entry.dtype->size);
  for (const auto dim : entry.shape) {
    bytes *= static_cast<uint64_t>(dim);
  }
  if (bytes != entry.end - entry.begin) {
    refuse(path, "shape " + shape_text(entry.shape) + " × " + entry.dtype->name + " of " + where + " needs " +
                     std::to_string(bytes) + " bytes but data_offsets span " +
                     std::to_string(entry.end - entry.begin));
  }
  return entry;
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
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot open safetensors file " + path);
  }
  const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.size() < 8) {
    refuse(path,
           "truncated: " + std::to_string(content.size()) + " bytes, shorter than the 8-byte header length");
  }
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) {
    header_size |= static_cast<uint64_t>(static_cast<unsigned char>(content[i])) << (8 * i);
  }
  if (header_size > content.size() - 8) {
    refuse(path, "header length " + std::to_string(header_size) + " runs past the end of the file (" +
                     std::to_string(content.size()) + " bytes; truncated?)");
  }
  // Duplicate names would silently overwrite each other in the parsed object: catch them while parsing.
  std::set<std::string> seen;
  std::string duplicate;
  const nlohmann::json::parser_callback_t check_duplicates =
      [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        if (event == nlohmann::json::parse_event_t::key && depth == 1 && parsed.is_string() &&
            !seen.insert(parsed.get<std::string>()).second && duplicate.empty()) {
          duplicate = parsed.get<std::string>();
        }
        return true;
      };
  const auto header =
      nlohmann::json::parse(content.begin() + 8, content.begin() + 8 + static_cast<int64_t>(header_size),
                            check_duplicates, /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object()) {
    refuse(path, "bad JSON header (not a JSON object)");
  }
  if (!duplicate.empty()) {
    refuse(path, "duplicate tensor name \"" + duplicate + "\" in the header");
  }

  SafetensorsFile file;
  std::vector<Entry> entries;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) {
        refuse(path, "bad JSON header: __metadata__ is not an object");
      }
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) {
          refuse(path, "bad JSON header: __metadata__ value \"" + key + "\" is not a string");
        }
        file.metadata[key] = text.get<std::string>();
      }
      continue;
    }
    entries.push_back(parse_entry(path, name, value));
  }

  const uint64_t buffer_size = content.size() - 8 - header_size;
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (const auto& entry : entries) {
    if (entry.end > buffer_size) {
      refuse(path, "data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                       "] of tensor \"" + entry.name + "\" are out of range of the " +
                       std::to_string(buffer_size) + "-byte data buffer (truncated?)");
    }
    if (entry.begin < covered) {
      refuse(path, "data of tensor \"" + entry.name + "\" overlaps the previous tensor's");
    }
    if (entry.begin > covered) {
      refuse(path, "data_offsets do not cover the buffer: bytes " + std::to_string(covered) + " to " +
                       std::to_string(entry.begin) + " before tensor \"" + entry.name +
                       "\" belong to no tensor");
    }
    covered = entry.end;
  }
  if (covered != buffer_size) {
    refuse(path, "data_offsets do not cover the buffer: " + std::to_string(buffer_size - covered) +
                     " trailing bytes belong to no tensor");
  }

  const char* data = content.data() + 8 + header_size;
  for (const auto& entry : entries) {
    auto tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(entry.dtype->type));
    if (entry.end > entry.begin) {
      std::memcpy(tensor.data_ptr(), data + entry.begin, entry.end - entry.begin);
    }
    file.tensors.emplace_back(entry.name, tensor);
  }
  return file;
}

}  // namespace zoolab
