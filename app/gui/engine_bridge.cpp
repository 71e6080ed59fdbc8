#include "app/gui/engine_bridge.h"

#include <stdexcept>

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
