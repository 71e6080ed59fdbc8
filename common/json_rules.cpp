#include "common/json_rules.h"

#include <algorithm>
#include <cmath>

namespace zoolab {

namespace {

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

}  // namespace

std::string IntRange::describe() const {
  if (min == kInt64Min && max == kInt64Max)
    return "an integer";
  if (min == 1 && max == kInt64Max)
    return "a positive integer";
  if (min == 0 && max == kInt64Max)
    return "a non-negative integer";
  if (max == kInt64Max)
    return "an integer >= " + std::to_string(min);
  if (min == kInt64Min)
    return "an integer <= " + std::to_string(max);
  return "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]";
}

bool DoubleRange::contains(double value) const {
  const bool above = min_inclusive ? value >= min : value > min;
  const bool below = max_inclusive ? value <= max : value < max;
  return above && below;
}

std::string DoubleRange::describe() const {
  const bool no_min = std::isinf(min) && min < 0;
  const bool no_max = std::isinf(max) && max > 0;
  if (no_min && no_max)
    return "a number";
  if (no_max)
    return std::string("a number ") + (min_inclusive ? ">= " : "> ") + format_json_number(min);
  if (no_min)
    return std::string("a number ") + (max_inclusive ? "<= " : "< ") + format_json_number(max);
  return std::string("a number in ") + (min_inclusive ? "[" : "(") + format_json_number(min) + ", " +
         format_json_number(max) + (max_inclusive ? "]" : ")");
}

bool StringRule::accepts(const std::string& value) const {
  if (value.empty() && !allow_empty)
    return false;
  return allowed.empty() || std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

std::string StringRule::describe() const {
  if (!allowed.empty()) {
    std::vector<std::string> quoted;
    for (const auto& a : allowed)
      quoted.push_back("\"" + a + "\"");
    return "one of " + join_strings(quoted);
  }
  return allow_empty ? "a string" : "a non-empty string";
}

bool json_as_int64(const nlohmann::json& value, int64_t* out) {
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(kInt64Max))
      return false;
    *out = static_cast<int64_t>(u);
    return true;
  }
  if (value.is_number_integer()) {
    *out = value.get<int64_t>();
    return true;
  }
  return false;
}

std::string format_json_number(double value) {
  if (std::isinf(value)) {
    return value > 0 ? "inf" : "-inf";
  }
  // Whole bounds read "0" and "1", not "0.0" and "1.0".
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    return std::to_string(static_cast<int64_t>(value));
  // nlohmann's rendering is the shortest that round-trips, so bounds read "0.1", not "0.100000".
  return nlohmann::json(value).dump();
}

std::string describe_json_value(const nlohmann::json& value) {
  std::string text = value.dump();
  constexpr size_t kMaxChars = 60;
  if (text.size() > kMaxChars) {
    // Cut at a code point boundary: the message must stay valid UTF-8.
    size_t cut = kMaxChars;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0u) == 0x80u) {
      --cut;
    }
    text = text.substr(0, cut) + "...";
  }
  return text;
}

std::string join_json_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

std::string json_index_path(const std::string& path, size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string join_strings(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? separator : "") + items[i];
  }
  return out;
}

std::vector<std::string> unknown_keys(const nlohmann::json& object, const std::vector<std::string>& allowed) {
  std::vector<std::string> unknown;
  for (const auto& item : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end()) {
      unknown.push_back(item.key());
    }
  }
  return unknown;
}

}  // namespace zoolab
