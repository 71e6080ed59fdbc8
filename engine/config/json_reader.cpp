#include "engine/config/json_reader.h"

#include "engine/text/utf8.h"
#include "engine/util/strict_json.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

namespace zoolab {

nlohmann::json read_json_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path, "cannot open the " + what + " (missing or unreadable)");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  try {
    return parse_strict_json(buffer.str());
  } catch (const JsonSyntaxError& error) {
    throw ConfigError(error.where().empty() ? path : path + ": " + error.where(), error.what());
  }
}

namespace {

using nlohmann::json;

constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();

// Shortest round-trip rendering of a double (nlohmann's), so bounds read "0.1", not "0.100000".
std::string format_double(double value) {
  if (std::isinf(value)) {
    return value > 0 ? "inf" : "-inf";
  }
  // Whole bounds read "0" and "1", not "0.0" and "1.0".
  if (value == std::floor(value) && std::fabs(value) < 1e15)
    return std::to_string(static_cast<int64_t>(value));
  return json(value).dump();
}

std::string join(const std::vector<std::string>& items, const std::string& separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    out += (i ? separator : "") + items[i];
  }
  return out;
}

// Levenshtein distance, for "did you mean" hints on misspelt keys.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The integer held by `value`, or false when it is not a JSON integer within int64_t.
bool as_int64(const json& value, int64_t* out) {
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

bool in_range(double v, const DoubleRange& r) {
  const bool above = r.min_inclusive ? v >= r.min : v > r.min;
  const bool below = r.max_inclusive ? v <= r.max : v < r.max;
  return above && below;
}

bool rule_accepts(const std::string& s, const StringRule& rule) {
  if (s.empty() && !rule.allow_empty)
    return false;
  return rule.allowed.empty() || std::find(rule.allowed.begin(), rule.allowed.end(), s) != rule.allowed.end();
}

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

std::string DoubleRange::describe() const {
  const bool no_min = std::isinf(min) && min < 0;
  const bool no_max = std::isinf(max) && max > 0;
  if (no_min && no_max)
    return "a number";
  if (no_max)
    return std::string("a number ") + (min_inclusive ? ">= " : "> ") + format_double(min);
  if (no_min)
    return std::string("a number ") + (max_inclusive ? "<= " : "< ") + format_double(max);
  return std::string("a number in ") + (min_inclusive ? "[" : "(") + format_double(min) + ", " +
         format_double(max) + (max_inclusive ? "]" : ")");
}

std::string StringRule::describe() const {
  if (!allowed.empty()) {
    std::vector<std::string> quoted;
    for (const auto& a : allowed)
      quoted.push_back("\"" + a + "\"");
    return "one of " + join(quoted, ", ");
  }
  return allow_empty ? "a string" : "a non-empty string";
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

int64_t json_to_int64(const nlohmann::json& value, const std::string& path, IntRange range) {
  int64_t v = 0;
  if (!as_int64(value, &v) || v < range.min || v > range.max) {
    throw ConfigError(path, "expected " + range.describe() + ", got " + describe_json_value(value));
  }
  return v;
}

std::string json_to_string(const nlohmann::json& value, const std::string& path, const StringRule& rule) {
  if (!value.is_string() || !rule_accepts(value.get<std::string>(), rule)) {
    throw ConfigError(path, "expected " + rule.describe() + ", got " + describe_json_value(value));
  }
  return value.get<std::string>();
}

ObjectReader::ObjectReader(const nlohmann::json& json, std::string path)
    : m_json(json), m_path(std::move(path)) {
  if (!m_json.is_object()) {
    throw ConfigError(m_path, "expected an object, got " + describe_json_value(m_json));
  }
}

const nlohmann::json* ObjectReader::find(const std::string& key) {
  if (std::find(m_allowed.begin(), m_allowed.end(), key) == m_allowed.end())
    m_allowed.push_back(key);
  const auto it = m_json.find(key);
  return it == m_json.end() ? nullptr : &*it;
}

void ObjectReader::fail(const std::string& key, const std::string& expected,
                        const nlohmann::json& got) const {
  throw ConfigError(path_of(key), "expected " + expected + ", got " + describe_json_value(got));
}

void ObjectReader::fail_missing(const std::string& key, const std::string& expected) const {
  throw ConfigError(path_of(key), "missing required key (expected " + expected + ")");
}

bool ObjectReader::has(const std::string& key) {
  return find(key) != nullptr;
}

int64_t ObjectReader::get_int64(const std::string& key, int64_t default_value, IntRange range) {
  const json* v = find(key);
  return v ? json_to_int64(*v, path_of(key), range) : default_value;
}

int64_t ObjectReader::require_int64(const std::string& key, IntRange range) {
  const json* v = find(key);
  if (!v)
    fail_missing(key, range.describe());
  return json_to_int64(*v, path_of(key), range);
}

uint64_t ObjectReader::get_uint64(const std::string& key, uint64_t default_value) {
  const json* v = find(key);
  if (!v)
    return default_value;
  if (v->is_number_unsigned())
    return v->get<uint64_t>();
  // Parsed text stores non-negative literals as unsigned, but JSON built in code may hold a
  // non-negative signed integer.
  if (v->is_number_integer() && v->get<int64_t>() >= 0)
    return static_cast<uint64_t>(v->get<int64_t>());
  fail(key, "a non-negative integer", *v);
}

uint64_t ObjectReader::require_uint64(const std::string& key) {
  if (!has(key))
    fail_missing(key, "a non-negative integer");
  return get_uint64(key, 0);
}

double ObjectReader::get_double(const std::string& key, double default_value, DoubleRange range) {
  const json* v = find(key);
  if (!v)
    return default_value;
  // is_number() is false for booleans in nlohmann::json.
  if (!v->is_number() || !in_range(v->get<double>(), range))
    fail(key, range.describe(), *v);
  return v->get<double>();
}

double ObjectReader::require_double(const std::string& key, DoubleRange range) {
  if (!has(key))
    fail_missing(key, range.describe());
  return get_double(key, 0.0, range);
}

bool ObjectReader::get_bool(const std::string& key, bool default_value) {
  const json* v = find(key);
  if (!v)
    return default_value;
  if (!v->is_boolean())
    fail(key, "true or false", *v);
  return v->get<bool>();
}

bool ObjectReader::require_bool(const std::string& key) {
  if (!has(key))
    fail_missing(key, "true or false");
  return get_bool(key, false);
}

std::string ObjectReader::get_string(const std::string& key, const std::string& default_value,
                                     const StringRule& rule) {
  const json* v = find(key);
  return v ? json_to_string(*v, path_of(key), rule) : default_value;
}

std::string ObjectReader::require_string(const std::string& key, const StringRule& rule) {
  const json* v = find(key);
  if (!v)
    fail_missing(key, rule.describe());
  return json_to_string(*v, path_of(key), rule);
}

std::vector<std::string> ObjectReader::get_string_list(const std::string& key,
                                                       const std::vector<std::string>& default_value,
                                                       const StringRule& rule) {
  const json* v = find(key);
  if (!v)
    return default_value;
  if (!v->is_array())
    fail(key, "a list of strings", *v);
  std::vector<std::string> out;
  for (size_t i = 0; i < v->size(); ++i) {
    out.push_back(json_to_string((*v)[i], path_of(key) + "[" + std::to_string(i) + "]", rule));
  }
  return out;
}

const nlohmann::json* ObjectReader::get_raw(const std::string& key) {
  return find(key);
}

const nlohmann::json* ObjectReader::get_object(const std::string& key) {
  const json* v = find(key);
  if (v && !v->is_object())
    fail(key, "an object", *v);
  return v;
}

const nlohmann::json* ObjectReader::get_array(const std::string& key) {
  const json* v = find(key);
  if (v && !v->is_array())
    fail(key, "a list", *v);
  return v;
}

void ObjectReader::finish() const {
  std::vector<std::string> unknown;
  for (const auto& item : m_json.items()) {
    if (std::find(m_allowed.begin(), m_allowed.end(), item.key()) == m_allowed.end()) {
      unknown.push_back(item.key());
    }
  }
  if (unknown.empty())
    return;
  std::vector<std::string> quoted;
  for (const auto& k : unknown)
    quoted.push_back("\"" + escape_for_terminal(k) + "\"");  // a key may hold control characters
  std::string message = (unknown.size() == 1 ? "unknown key " : "unknown keys ") + join(quoted, ", ") +
                        "; allowed: " + (m_allowed.empty() ? std::string("(none)") : join(m_allowed, ", "));
  // A hint for the first unknown key when an allowed key is one or two edits away.
  std::string best;
  size_t best_distance = 3;
  for (const auto& a : m_allowed) {
    const size_t d = edit_distance(unknown.front(), a);
    if (d < best_distance) {
      best_distance = d;
      best = a;
    }
  }
  if (!best.empty())
    message += " (did you mean \"" + best + "\"?)";
  throw ConfigError(m_path, message);
}

}  // namespace zoolab
