#pragma once

// The typed parameters of the registries (mixers in models/registry.h, data tasks in
// engine/data/task_registry.h): their specs, written with named builders, the check of one value
// against its spec and the JSON that `zoolab-cli mixers --json` / `tasks --json` print and the window's
// forms are built from. Torch-free and Qt-free.

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace zoolab {

enum class ParamType {
  Int,
  Float,
  Bool,
  String,
  IntOrIntList,  // an int, or a list indexed by layer (e.g. BaseConv's kernel_size)
  MixerList,     // a list of {name, kwargs} mixer configs (hybrids)
};

const char* to_string(ParamType type);

// One parameter of a mixer or a task. Rows are written with the named builders, so that every number says
// what it is:
//   ParamSpec::integer("kernel_size").defaults_to(3).at_least(1).at_most(kMaxTapsKwarg).described("...")
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::Int;
  // Default value; null (no defaults_to) means the owner supplies it (a mixer's l_max defaults to the
  // longest sequence).
  nlohmann::json default_value;
  std::optional<double> min;  // inclusive bounds for numbers (and for each int of a list)
  std::optional<double> max;
  std::vector<std::string> choices;  // allowed strings, if restricted
  std::string doc;

  static ParamSpec integer(std::string name) { return typed(std::move(name), ParamType::Int); }
  static ParamSpec number(std::string name) { return typed(std::move(name), ParamType::Float); }
  static ParamSpec boolean(std::string name) { return typed(std::move(name), ParamType::Bool); }
  static ParamSpec string(std::string name) { return typed(std::move(name), ParamType::String); }
  static ParamSpec integer_or_list(std::string name) {
    return typed(std::move(name), ParamType::IntOrIntList);
  }
  static ParamSpec mixer_list(std::string name) { return typed(std::move(name), ParamType::MixerList); }

  static ParamSpec typed(std::string name, ParamType type) {
    ParamSpec spec;
    spec.name = std::move(name);
    spec.type = type;
    return spec;
  }

  ParamSpec& defaults_to(nlohmann::json value) {
    default_value = std::move(value);
    return *this;
  }
  ParamSpec& at_least(double bound) {
    min = bound;
    return *this;
  }
  ParamSpec& at_most(double bound) {
    max = bound;
    return *this;
  }
  ParamSpec& one_of(std::vector<std::string> values) {
    choices = std::move(values);
    return *this;
  }
  ParamSpec& described(std::string text) {
    doc = std::move(text);
    return *this;
  }
};

// A value that does not match its spec: what() is "<path>: <message>", and both parts are kept so that a
// configuration parser can report the path as its own.
class ParamError : public std::invalid_argument {
 public:
  ParamError(std::string path, std::string message)
      : std::invalid_argument(path + ": " + message),
        m_path(std::move(path)),
        m_message(std::move(message)) {}
  const std::string& path() const { return m_path; }
  const std::string& message() const { return m_message; }

 private:
  std::string m_path;
  std::string m_message;
};

// Checks one value against its spec (type, range, choices; for MixerList only the entries' shape: the
// mixer registry resolves their kwargs). Throws ParamError naming `path`.
void check_param_value(const ParamSpec& spec, const nlohmann::json& value, const std::string& path);

// Checks `given` (an object) against `specs`: unknown keys (named against `owner`, e.g. "mixer \"gla\""),
// types and ranges, and returns every parameter, defaults filled in. A parameter whose default is null
// and that `given` leaves out is left out (its owner fills it). Throws ParamError.
nlohmann::json resolve_params(const std::vector<ParamSpec>& specs, const nlohmann::json& given,
                              const std::string& path, const std::string& owner);

// [{"name", "type", "default", "doc", "min"?, "max"?, "choices"?}, ...]
nlohmann::json param_specs_to_json(const std::vector<ParamSpec>& specs);

}  // namespace zoolab
