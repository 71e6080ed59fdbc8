#pragma once

// The rules of zoolab's strict JSON checks, shared by the two readers that apply them on different
// layers: the configuration parsers (engine/config/json_reader.h) and the mixer registry's kwargs check
// (models/registry.h). Each reader words and throws its own errors; what a value may be, how a value and
// a bound are shown and how a path is written are decided here once. Torch-free and Qt-free.

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace zoolab {

// Inclusive integer bounds.
struct IntRange {
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();

  static IntRange any() { return {}; }
  static IntRange positive() { return {1, std::numeric_limits<int64_t>::max()}; }
  static IntRange non_negative() { return {0, std::numeric_limits<int64_t>::max()}; }
  static IntRange between(int64_t lo, int64_t hi) { return {lo, hi}; }
  bool contains(int64_t value) const { return value >= min && value <= max; }
  // "a positive integer", "an integer in [2, 2147483647]", ...
  std::string describe() const;
};

// Bounds on a real number, each end open or closed.
struct DoubleRange {
  double min = -std::numeric_limits<double>::infinity();
  bool min_inclusive = true;
  double max = std::numeric_limits<double>::infinity();
  bool max_inclusive = true;

  static DoubleRange any() { return {}; }
  static DoubleRange positive() { return {0.0, false, std::numeric_limits<double>::infinity(), true}; }
  static DoubleRange non_negative() { return {0.0, true, std::numeric_limits<double>::infinity(), true}; }
  // [0, 1): dropout probabilities.
  static DoubleRange probability_below_one() { return {0.0, true, 1.0, false}; }
  bool contains(double value) const;
  // "a number > 0", "a number in [0, 1)", ...
  std::string describe() const;
};

// Rules for strings: a fixed set of values (empty: any) and whether "" is allowed.
struct StringRule {
  std::vector<std::string> allowed;
  bool allow_empty = true;

  static StringRule any() { return {}; }
  static StringRule non_empty() { return {{}, false}; }
  static StringRule one_of(std::vector<std::string> values) { return {std::move(values), false}; }
  bool accepts(const std::string& value) const;
  std::string describe() const;
};

// The integer held by `value`, or false when it is not a JSON integer within int64_t (4.0 and true are
// not integers).
bool json_as_int64(const nlohmann::json& value, int64_t* out);

// A bound as people write it: "65536", "0.999", "inf" (shortest round trip, whole numbers without ".0").
std::string format_json_number(double value);

// A compact rendering of a JSON value for error messages ("four" in quotes, long values cut).
std::string describe_json_value(const nlohmann::json& value);

// "a.b" from "a" and "b"; "b" when the parent path is empty (the document root).
std::string join_json_path(const std::string& parent, const std::string& key);
// "a[3]": the path of an element of the list at `path`.
std::string json_index_path(const std::string& path, size_t index);

// "a, b, c".
std::string join_strings(const std::vector<std::string>& items, const std::string& separator = ", ");

// The keys of `object` that are not in `allowed`, in the object's order.
std::vector<std::string> unknown_keys(const nlohmann::json& object, const std::vector<std::string>& allowed);

}  // namespace zoolab
