#include "app/gui/engine_bridge.h"

#include <algorithm>
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
    return QString::fromStdString(error.what());
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
    throw std::runtime_error(error.what());
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
