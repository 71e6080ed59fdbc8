#include "engine/formats/header_fields.h"

#include "engine/text/utf8.h"
#include "engine/util/input_error.h"

namespace zoolab {

std::string quote_json_value(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 40) {
    text = text.substr(0, 40) + "...";
  }
  return escape_for_terminal(text);
}

int64_t header_int(const nlohmann::json& header, const std::string& key, int64_t min, int64_t max,
                   const std::string& prefix) {
  const std::string field = prefix + "header field \"" + escape_for_terminal(key) + "\"";
  const auto found = header.find(key);
  if (found == header.end()) {
    throw InputError(field + " is missing");
  }
  if (!found->is_number_integer()) {
    throw InputError(field + " is " + quote_json_value(*found) + ", not an integer");
  }
  // An unsigned value past INT64_MAX would wrap in get<int64_t>(): it is out of any range we allow.
  const bool too_big = found->is_number_unsigned() &&
                       found->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  const int64_t value = too_big ? 0 : found->get<int64_t>();
  if (too_big || value < min || value > max) {
    throw InputError(field + " is " + quote_json_value(*found) + ", outside the allowed range " +
                     std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

std::string header_string(const nlohmann::json& header, const std::string& key, size_t max_length,
                          const std::string& prefix) {
  const std::string field = prefix + "header field \"" + escape_for_terminal(key) + "\"";
  const auto found = header.find(key);
  if (found == header.end()) {
    throw InputError(field + " is missing");
  }
  if (!found->is_string()) {
    throw InputError(field + " is " + quote_json_value(*found) + ", not a string");
  }
  const auto& text = found->get_ref<const std::string&>();
  if (text.size() > max_length) {
    throw InputError(field + " is " + std::to_string(text.size()) + " bytes long, more than " +
                     std::to_string(max_length));
  }
  return text;
}

}  // namespace zoolab
