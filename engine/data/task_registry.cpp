#include "engine/data/task_registry.h"

#include <algorithm>

#include "common/json_rules.h"
#include "engine/data/tasks/circuits.h"
#include "engine/data/tasks/compositional_mqar.h"
#include "engine/data/tasks/forgetting_mqar.h"
#include "engine/data/tasks/mad_compression.h"
#include "engine/data/tasks/mad_copying.h"
#include "engine/data/tasks/mad_memorization.h"
#include "engine/data/tasks/mad_recall.h"
#include "engine/data/tasks/mqar.h"

namespace zoolab {

const std::vector<TaskSpec>& task_registry() {
  // One line per task.
  static const std::vector<TaskSpec> registry = {
      mqar_task_spec(),
      forgetting_mqar_task_spec(),
      compositional_mqar_task_spec(),
      parity_task_spec(),
      majority_task_spec(),
      cumulative_parity_task_spec(),
      cumulative_majority_task_spec(),
      in_context_recall_task_spec(),
      fuzzy_in_context_recall_task_spec(),
      noisy_in_context_recall_task_spec(),
      selective_copying_task_spec(),
      compression_task_spec(),
      memorization_task_spec(),
  };
  return registry;
}

std::vector<std::string> task_names() {
  std::vector<std::string> names;
  for (const auto& spec : task_registry()) {
    names.push_back(spec.name);
  }
  return names;
}

const TaskSpec& find_task(const std::string& name, const std::string& path) {
  for (const auto& spec : task_registry()) {
    if (spec.name == name) {
      return spec;
    }
  }
  throw ConfigError(path, "unknown task \"" + name + "\"; registered: " + join_strings(task_names()));
}

std::vector<std::string> all_slice_keys() {
  std::vector<std::string> keys;
  for (const auto& spec : task_registry()) {
    for (const auto& key : spec.slice_keys) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
        keys.push_back(key);
      }
    }
  }
  return keys;
}

nlohmann::json resolve_task_params(const TaskSpec& spec, const nlohmann::json& given,
                                   const std::string& path) {
  try {
    return resolve_params(spec.params, given, path,
                          "task \"" + spec.name +
                              "\" (or of every segment: task, "
                              "input_seq_len, num_examples)");
  } catch (const ParamError& error) {
    throw ConfigError(error.path(), error.message());
  }
}

TokenSegment generate_segment(const SegmentConfig& segment, int64_t vocab_size, uint64_t seed) {
  return find_task(segment.task, "segment.task").generate(segment, vocab_size, seed);
}

nlohmann::json task_registry_to_json() {
  auto out = nlohmann::json::array();
  for (const auto& spec : task_registry()) {
    out.push_back({{"name", spec.name},
                   {"family", spec.family},
                   {"summary", spec.summary},
                   {"params", param_specs_to_json(spec.params)},
                   {"slice_keys", spec.slice_keys},
                   {"example", spec.example},
                   {"example_vocab_size", spec.example_vocab_size}});
  }
  return out;
}

namespace {

// The value of a task parameter: the segment's own, else its task's default.
const nlohmann::json& param_value(const SegmentConfig& segment, const std::string& key) {
  const auto found = segment.params.find(key);
  if (found != segment.params.end()) {
    return *found;
  }
  const TaskSpec& spec = find_task(segment.task, "segment.task");
  for (const auto& param : spec.params) {
    if (param.name == key) {
      return param.default_value;
    }
  }
  throw ConfigError("segment." + key, "task \"" + segment.task + "\" has no parameter \"" + key + "\"");
}

}  // namespace

int64_t SegmentConfig::integer(const std::string& key) const {
  int64_t value = 0;
  if (!json_as_int64(param_value(*this, key), &value)) {
    throw ConfigError("segment." + key,
                      "expected an integer, got " + describe_json_value(param_value(*this, key)));
  }
  return value;
}

double SegmentConfig::number(const std::string& key) const {
  const nlohmann::json& value = param_value(*this, key);
  if (!value.is_number()) {
    throw ConfigError("segment." + key, "expected a number, got " + describe_json_value(value));
  }
  return value.get<double>();
}

bool SegmentConfig::flag(const std::string& key) const {
  const nlohmann::json& value = param_value(*this, key);
  if (!value.is_boolean()) {
    throw ConfigError("segment." + key, "expected true or false, got " + describe_json_value(value));
  }
  return value.get<bool>();
}

}  // namespace zoolab
