#include "app/gui/engine_bridge.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <torch/utils.h>

#include "engine/config/config_error.h"
#include "engine/config/presets.h"
#include "engine/config/sweep_file.h"
#include "engine/store/run_queue.h"
#include "engine/store/store.h"
#include "engine/train/model_setup.h"
#include "engine/train/sweep_runs.h"
#include "models/registry.h"

namespace zoolab {

namespace {

// The same parsing and model checks as `zoolab-cli train --config`.
RunConfig checkedConfig(const nlohmann::json& config) {
  RunConfig parsed = parse_run_config(config);
  validate_model_config(parsed);
  return parsed;
}

// Whether `word` occurs in `text` at `at` as a whole identifier.
bool word_at(const std::string& text, size_t at, const std::string& word) {
  const auto ident = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  return (at == 0 || !ident(text[at - 1])) &&
         (at + word.size() >= text.size() || !ident(text[at + word.size()]));
}

// The first parameter of `spec` that `text` names, or "".
std::string first_parameter_named(const nlohmann::json& spec, const std::string& text) {
  std::string best;
  size_t best_at = std::string::npos;
  for (const auto& param : spec.value("params", nlohmann::json::array())) {
    const std::string name = param.value("name", std::string());
    for (size_t at = text.find(name); !name.empty() && at != std::string::npos;
         at = text.find(name, at + 1)) {
      if (word_at(text, at, name)) {
        if (at < best_at) {
          best_at = at;
          best = name;
        }
        break;
      }
    }
  }
  return best;
}

const nlohmann::json* registry_entry(const nlohmann::json& registry, const std::string& name) {
  for (const auto& spec : registry) {
    if (spec.value("name", std::string()) == name) {
      return &spec;
    }
  }
  return nullptr;
}

// The model build reports a mixer's complaint as "<mixer>: <what>" under "model.sequence_mixer.kwargs",
// whichever module it came from. Finds the module (or the hybrid entry) of that mixer and the parameter
// the complaint names first; `path` unchanged when either cannot be told.
std::string refined_mixer_path(const nlohmann::json& config, const std::string& path,
                               const std::string& detail) {
  if (path != "model.sequence_mixer.kwargs" && path != "model.state_mixer.kwargs") {
    return path;
  }
  const size_t colon = detail.find(": ");
  if (colon == std::string::npos || !config.contains("model") || !config["model"].is_object()) {
    return path;
  }
  const std::string mixer = detail.substr(0, colon);
  const std::string what = detail.substr(colon + 2);
  const nlohmann::json registry = registry_to_json();
  const nlohmann::json* spec = registry_entry(registry, mixer);
  if (!spec) {
    return path;
  }
  for (const char* key : {"sequence_mixer", "state_mixer"}) {
    const nlohmann::json module = config["model"].value(key, nlohmann::json::object());
    if (!module.is_object()) {
      continue;
    }
    std::string base;
    if (module.value("name", std::string()) == mixer) {
      base = std::string("model.") + key + ".kwargs";
    } else if (const auto kwargs = module.value("kwargs", nlohmann::json::object());
               kwargs.is_object() && kwargs.contains("configs") && kwargs["configs"].is_array()) {
      // A hybrid's entries: the first of that mixer.
      const auto& configs = kwargs["configs"];
      for (size_t i = 0; i < configs.size() && base.empty(); ++i) {
        if (configs[i].is_object() && configs[i].value("name", std::string()) == mixer) {
          base = std::string("model.") + key + ".kwargs.configs[" + std::to_string(i) + "].kwargs";
        }
      }
    }
    if (base.empty()) {
      continue;
    }
    const std::string parameter = first_parameter_named(*spec, what);
    return parameter.empty() ? base : base + "." + parameter;
  }
  return path;
}

// The error's text, with a mixer's complaint given the path of the parameter it names.
std::string config_error_text(const nlohmann::json& config, const ConfigError& error) {
  const std::string what = error.what();
  const std::string& path = error.path();
  if (path.empty() || what.compare(0, path.size() + 2, path + ": ") != 0) {
    return what;
  }
  const std::string detail = what.substr(path.size() + 2);
  return refined_mixer_path(config, path, detail) + ": " + detail;
}

}  // namespace

nlohmann::json mixerRegistryJson() {
  return registry_to_json();
}

std::vector<std::pair<QString, nlohmann::json>> presetConfigs() {
  std::vector<std::pair<QString, nlohmann::json>> presets;
  for (const PresetInfo& preset : list_presets()) {
    presets.emplace_back(QString::fromStdString(preset.name), to_json(preset.config));
  }
  return presets;
}

QString validateConfig(const nlohmann::json& config) {
  try {
    checkedConfig(config);
    return {};
  } catch (const ConfigError& error) {
    return QString::fromStdString(config_error_text(config, error));
  } catch (const std::exception& error) {
    // Anything else the model build throws is still the configuration's fault; say so plainly.
    return QString::fromStdString(std::string("model: ") + error.what());
  }
}

ModelFacts modelFacts(const nlohmann::json& config) {
  RunConfig parsed;
  try {
    parsed = checkedConfig(config);
  } catch (const ConfigError& error) {
    throw std::runtime_error(config_error_text(config, error));
  } catch (const std::exception& error) {
    throw std::runtime_error(std::string("model: ") + error.what());
  }
  ModelFacts facts;
  facts.textTask = is_text_task(parsed.data);
  facts.maxEpochs = parsed.train.max_epochs;
  // The same length training measures the state at (engine/train: the task's state_length()).
  if (facts.textTask) {
    facts.stateLength = parsed.data.text.context_length;
  } else {
    for (const auto& segment : parsed.data.test) {
      facts.stateLength = std::max(facts.stateLength, segment.input_seq_len);
    }
    for (const auto& segment : parsed.data.train) {
      facts.epochExamples += segment.num_examples;
      facts.epochTokens += segment.num_examples * segment.input_seq_len;
    }
  }
  // Built as training builds it (the counts do not depend on the seed, so the global one is left alone).
  torch::NoGradGuard no_grad;
  LanguageModel model(language_model_options(parsed));
  facts.numParameters = model->num_parameters();
  facts.stateBytes = model->state_size(facts.stateLength);
  return facts;
}

int64_t enqueueConfig(Store& store, const nlohmann::json& config) {
  RunConfig parsed;
  try {
    parsed = checkedConfig(config);
  } catch (const ConfigError& error) {
    throw std::runtime_error(std::string("configuration error: ") + error.what());
  }
  return store.create_run(new_run_record(parsed, RunStatus::Queued));
}

std::vector<int64_t> enqueueSweep(Store& store, const nlohmann::json& spec) {
  try {
    const SweepSpec sweep = parse_sweep(spec);
    return store.add_sweep_runs(sweep.name, sweep.source.dump(), sweep_run_records(sweep.points)).created;
  } catch (const ConfigError& error) {
    throw std::runtime_error(std::string("configuration error: ") + error.what());
  }
}

}  // namespace zoolab
