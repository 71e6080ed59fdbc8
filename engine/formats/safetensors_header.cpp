// safetensors headers, checked without torch (safetensors_header.h).

#include "engine/formats/safetensors_header.h"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "engine/text/utf8.h"
#include "engine/util/checked_size.h"
#include "engine/util/input_error.h"
#include "engine/util/memory_budget.h"
#include "engine/util/strict_json.h"

namespace zoolab {
namespace {

// More dimensions than any model has; a bound so a header cannot ask for a million of them.
constexpr size_t kMaxRank = 64;

struct DtypeSize {
  const char* name;
  int64_t size;
};
constexpr DtypeSize kDtypes[] = {{"F32", 4}, {"F64", 8}, {"F16", 2}, {"BF16", 2}, {"I64", 8},
                                 {"I32", 4}, {"I16", 2}, {"I8", 1},  {"U8", 1},   {"BOOL", 1}};

[[noreturn]] void refuse(const std::string& path, const std::string& problem) {
  throw InputError("safetensors file " + path + ": " + problem);
}

std::string quote_name(const std::string& name) {
  return "\"" + escape_for_terminal(name) + "\"";
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return text + "]";
}

// A JSON value that must be a non-negative integer of at most `max`.
bool is_count(const nlohmann::json& value, uint64_t max) {
  return value.is_number_unsigned() && value.get<uint64_t>() <= max;
}

SafetensorsEntry parse_entry(const std::string& path, const std::string& name, const nlohmann::json& value) {
  const std::string where = "tensor " + quote_name(name);
  if (!value.is_object()) {
    refuse(path, "bad JSON header: " + where + " is not an object");
  }
  SafetensorsEntry entry;
  entry.name = name;
  const auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) {
    refuse(path, "bad JSON header: " + where + " has no \"dtype\" string");
  }
  entry.dtype = dtype->get<std::string>();
  entry.element_size = safetensors_element_size(entry.dtype);
  if (entry.element_size == 0) {
    refuse(path, "unknown dtype " + quote_name(entry.dtype) + " of " + where);
  }
  const auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array()) {
    refuse(path, "bad JSON header: " + where + " has no \"shape\" array");
  }
  if (shape->size() > kMaxRank) {
    refuse(path, where + " has " + std::to_string(shape->size()) + " dimensions, more than " +
                     std::to_string(kMaxRank));
  }
  CheckedSize numel(1);
  for (const auto& dim : *shape) {
    if (!is_count(dim, static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))) {
      refuse(path,
             "bad JSON header: " + where + " has a shape entry that is not a non-negative 64-bit integer");
    }
    entry.shape.push_back(dim.get<int64_t>());
    numel *= dim.get<uint64_t>();
  }
  const auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
      !is_count((*offsets)[0], std::numeric_limits<uint64_t>::max()) ||
      !is_count((*offsets)[1], std::numeric_limits<uint64_t>::max())) {
    refuse(path, "bad JSON header: " + where + " has no \"data_offsets\" pair of non-negative integers");
  }
  entry.begin = (*offsets)[0].get<uint64_t>();
  entry.end = (*offsets)[1].get<uint64_t>();
  if (entry.end < entry.begin) {
    refuse(path, "data_offsets of " + where + " end before they begin");
  }
  // Checked: the product of five dimensions can wrap around to the span of the offsets.
  const CheckedSize bytes = numel * entry.element_size;
  if (!numel.as_int64() || !bytes.as_int64()) {
    refuse(path, "shape " + shape_text(entry.shape) + " × " + entry.dtype + " of " + where +
                     " has more elements than 2^63 bytes can hold");
  }
  entry.numel = *numel.as_int64();
  if (*bytes.value() != entry.end - entry.begin) {
    refuse(path, "shape " + shape_text(entry.shape) + " × " + entry.dtype + " of " + where + " needs " +
                     std::to_string(*bytes.value()) + " bytes but data_offsets span " +
                     std::to_string(entry.end - entry.begin));
  }
  return entry;
}

}  // namespace

int64_t safetensors_element_size(std::string_view dtype) {
  for (const auto& info : kDtypes) {
    if (dtype == info.name) {
      return info.size;
    }
  }
  return 0;
}

SafetensorsLayout parse_safetensors(std::string_view bytes, const std::string& path) {
  if (bytes.size() < 8) {
    refuse(path,
           "truncated: " + std::to_string(bytes.size()) + " bytes, shorter than the 8-byte header length");
  }
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i) {
    header_size |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[i])) << (8 * i);
  }
  if (header_size > bytes.size() - 8) {
    refuse(path, "header length " + std::to_string(header_size) + " runs past the end of the file (" +
                     std::to_string(bytes.size()) + " bytes; truncated?)");
  }
  if (header_size > kMaxSafetensorsHeaderBytes) {
    refuse(path, "header length " + std::to_string(header_size) + " is more than the format's limit of " +
                     std::to_string(kMaxSafetensorsHeaderBytes) + " bytes");
  }
  // A parsed JSON document takes several times its text: estimated before parsing.
  if (const auto shortfall = memory_shortfall(CheckedSize(header_size) * 16)) {
    refuse(path, "parsing its " + format_bytes(header_size) + " JSON header " + *shortfall);
  }
  nlohmann::json header;
  try {
    header = parse_strict_json(bytes.substr(8, static_cast<size_t>(header_size)));
  } catch (const JsonSyntaxError& error) {
    refuse(path, "bad JSON header: " + escape_for_terminal(error.what()));
  }
  if (!header.is_object()) {
    refuse(path, "bad JSON header (not a JSON object)");
  }

  SafetensorsLayout layout;
  layout.data_offset = 8 + header_size;
  for (const auto& [name, value] : header.items()) {
    if (name == "__metadata__") {
      if (!value.is_object()) {
        refuse(path, "bad JSON header: __metadata__ is not an object");
      }
      for (const auto& [key, text] : value.items()) {
        if (!text.is_string()) {
          refuse(path, "bad JSON header: __metadata__ value " + quote_name(key) + " is not a string");
        }
        layout.metadata[key] = text.get<std::string>();
      }
      continue;
    }
    layout.entries.push_back(parse_entry(path, name, value));
  }

  const uint64_t buffer_size = bytes.size() - layout.data_offset;
  auto& entries = layout.entries;
  std::stable_sort(entries.begin(), entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  uint64_t covered = 0;
  for (const auto& entry : entries) {
    if (entry.end > buffer_size) {
      refuse(path, "data_offsets [" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) +
                       "] of tensor " + quote_name(entry.name) + " are out of range of the " +
                       std::to_string(buffer_size) + "-byte data buffer (truncated?)");
    }
    if (entry.begin < covered) {
      refuse(path, "data of tensor " + quote_name(entry.name) + " overlaps the previous tensor's");
    }
    if (entry.begin > covered) {
      refuse(path, "data_offsets do not cover the buffer: bytes " + std::to_string(covered) + " to " +
                       std::to_string(entry.begin) + " before tensor " + quote_name(entry.name) +
                       " belong to no tensor");
    }
    covered = entry.end;
  }
  if (covered != buffer_size) {
    refuse(path, "data_offsets do not cover the buffer: " + std::to_string(buffer_size - covered) +
                     " trailing bytes belong to no tensor");
  }
  return layout;
}

}  // namespace zoolab
