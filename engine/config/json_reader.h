#pragma once

// A strict reader over one JSON object, shared by every config parser (docs/architecture.md#configuration),
// so that an unknown key, a wrong type or an out-of-range value is an error that names the JSON path and the
// allowed values. Each getter records its key as allowed, checks the type and range of the value found and
// throws ConfigError(path.key, "expected <what is allowed>, got <value>"); finish() then rejects every key
// that no getter asked for, listing the allowed ones.
//
//   ObjectReader r(json, "data.train[0]");
//   int64_t kv = r.get_int64("num_kv_pairs", 8, IntRange::positive());
//   r.finish();  // throws on "num_kv_pair": unknown key ...; allowed: ..., num_kv_pairs, ...
//
// Types are strict: 4.0 is not an integer, true is not a number, "4" is not a number.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/json_rules.h"
#include "engine/config/config_error.h"

namespace zoolab {

// Reads and parses a JSON file. Throws ConfigError(path, ...) when it cannot be opened ("cannot open the
// <what> (missing or unreadable)") or does not parse (line, column and byte of the syntax error).
nlohmann::json read_json_file(const std::string& path, const std::string& what);

class ObjectReader {
 public:
  // Throws ConfigError(path, "expected an object, got ...") unless `json` is an object. `json` must
  // outlive the reader.
  ObjectReader(const nlohmann::json& json, std::string path);

  const std::string& path() const { return m_path; }
  // The path of a key of this object.
  std::string path_of(const std::string& key) const { return join_json_path(m_path, key); }
  // Whether the key is present (and records it as allowed).
  bool has(const std::string& key);

  int64_t get_int64(const std::string& key, int64_t default_value, IntRange range = IntRange::any());
  int64_t require_int64(const std::string& key, IntRange range = IntRange::any());
  uint64_t get_uint64(const std::string& key, uint64_t default_value);
  uint64_t require_uint64(const std::string& key);
  // Integers are accepted as numbers here (1 means 1.0).
  double get_double(const std::string& key, double default_value, DoubleRange range = DoubleRange::any());
  double require_double(const std::string& key, DoubleRange range = DoubleRange::any());
  bool get_bool(const std::string& key, bool default_value);
  bool require_bool(const std::string& key);
  std::string get_string(const std::string& key, const std::string& default_value,
                         const StringRule& rule = StringRule::any());
  std::string require_string(const std::string& key, const StringRule& rule = StringRule::any());
  // A list of strings, each checked against `rule`.
  std::vector<std::string> get_string_list(const std::string& key,
                                           const std::vector<std::string>& default_value,
                                           const StringRule& rule = StringRule::any());

  // The raw value of a key, or nullptr when absent (records the key as allowed). For values that
  // take several shapes (e.g. batch_size: N or [train, test]); the caller checks them.
  const nlohmann::json* get_raw(const std::string& key);
  // The value of a key that must be an object (nullptr when absent); throws on another type.
  const nlohmann::json* get_object(const std::string& key);
  // The value of a key that must be an array (nullptr when absent); throws on another type.
  const nlohmann::json* get_array(const std::string& key);

  // Throws ConfigError(path, "unknown key \"k\"; allowed: a, b, c") if the object holds a key that
  // no getter asked for.
  void finish() const;

 private:
  const nlohmann::json* find(const std::string& key);
  [[noreturn]] void fail(const std::string& key, const std::string& expected,
                         const nlohmann::json& got) const;
  [[noreturn]] void fail_missing(const std::string& key, const std::string& expected) const;

  const nlohmann::json& m_json;
  std::string m_path;
  std::vector<std::string> m_allowed;  // in the order the parser asked for them
};

// Checks a JSON value against the integer and string rules (common/json_rules.h), for values met outside an
// ObjectReader (array elements). `path` names the value.
int64_t json_to_int64(const nlohmann::json& value, const std::string& path, IntRange range = IntRange::any());
std::string json_to_string(const nlohmann::json& value, const std::string& path,
                           const StringRule& rule = StringRule::any());

}  // namespace zoolab
