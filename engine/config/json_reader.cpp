#include "engine/config/json_reader.h"

#include "engine/text/utf8.h"
#include "engine/util/strict_json.h"

#include <algorithm>
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

}  // namespace

int64_t json_to_int64(const nlohmann::json& value, const std::string& path, IntRange range) {
  int64_t v = 0;
  if (!json_as_int64(value, &v) || !range.contains(v)) {
    throw ConfigError(path, "expected " + range.describe() + ", got " + describe_json_value(value));
  }
  return v;
}

std::string json_to_string(const nlohmann::json& value, const std::string& path, const StringRule& rule) {
  if (!value.is_string() || !rule.accepts(value.get<std::string>())) {
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
  if (!v->is_number() || !range.contains(v->get<double>()))
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
    out.push_back(json_to_string((*v)[i], json_index_path(path_of(key), i), rule));
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
  const std::vector<std::string> unknown = unknown_keys(m_json, m_allowed);
  if (unknown.empty())
    return;
  std::vector<std::string> quoted;
  for (const auto& k : unknown)
    quoted.push_back("\"" + escape_for_terminal(k) + "\"");  // a key may hold control characters
  std::string message = (unknown.size() == 1 ? "unknown key " : "unknown keys ") + join_strings(quoted) +
                        "; allowed: " + (m_allowed.empty() ? std::string("(none)") : join_strings(m_allowed));
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
