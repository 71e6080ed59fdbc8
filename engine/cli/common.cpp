#include "engine/cli/commands.h"
#include "engine/config/config_overrides.h"
#include "engine/config/presets.h"
#include "engine/store/metric_summary.h"
#include "engine/store/store.h"
#include "engine/train/model_setup.h"
#include "engine/util/strict_json.h"

namespace zoolab {

std::string database_path(const std::string& option) {
  return option.empty() ? default_database_path() : option;
}

std::vector<CLI::Option*> add_config_options(CLI::App* command, ConfigSource& source) {
  auto* config = command->add_option("--config", source.config_file, "Run configuration (strict JSON)");
  auto* preset = command->add_option("--preset", source.preset, "Built-in preset (see `zoolab-cli presets`)");
  config->excludes(preset);
  auto* set = command->add_option(
      "--set", source.sets,
      "Change one field of the configuration, PATH=VALUE (e.g. model.d_model=128, "
      "train.learning_rate=2e-3, data.train.0.num_kv_pairs=8); repeatable; the run's name "
      "gets the field and value, as in a sweep");
  return {config, preset, set};
}

RunConfig load_config_option(const ConfigSource& source) {
  if (source.config_file.empty() == source.preset.empty()) {
    throw ConfigError("", "give exactly one of --config FILE or --preset NAME (see `zoolab-cli presets`)");
  }
  const RunConfig loaded =
      source.config_file.empty() ? load_preset(source.preset) : load_run_config_file(source.config_file);
  RunConfig config = with_overrides(loaded, source.sets);
  validate_model_config(config);
  return config;
}

void apply_shards_option(RunConfig& config, const std::string& shards) {
  if (!shards.empty()) {
    if (!is_text_task(config.data)) {
      throw ConfigError("--shards", "only text runs (data.task \"text\") read token shards; \"" +
                                        config.name +
                                        "\" is an MQAR run: drop --shards, or use a text configuration (e.g. "
                                        "--preset text-tiny-attention)");
    }
    config.data.text.shards = shards;
  }
  if (is_text_task(config.data) && config.data.text.shards.empty()) {
    throw ConfigError("data.text.shards",
                      "empty: pass --shards DIR (the folder `zoolab-cli data tokenize` "
                      "wrote) or set data.text.shards in the configuration");
  }
  make_text_paths_absolute(config);
}

RunRecord find_run_or_throw(const Store& store, const std::string& id_or_name) {
  auto run = store.find_run(id_or_name);
  if (!run) {
    throw std::runtime_error("no run \"" + id_or_name + "\" in " + store.path() + " (see `zoolab-cli runs`)");
  }
  return *run;
}

RunRecord find_stopped_run_or_throw(Store& store, const std::string& id_or_name, const std::string& verb) {
  store.reap_dead_runs();
  auto run = find_run_or_throw(store, id_or_name);
  if (run.status != RunStatus::Cancelled && run.status != RunStatus::Interrupted) {
    throw std::runtime_error("run " + std::to_string(run.id) + " is " + to_string(run.status) +
                             "; only cancelled or interrupted runs can be " + verb);
  }
  return run;
}

nlohmann::json run_to_json(const Store& store, const RunRecord& run) {
  nlohmann::json metrics = nlohmann::json::object();
  nlohmann::json best = nlohmann::json::object();
  for (const auto& summary : store.summary(run.id)) {
    metrics[summary.key] = summary.last;
    if (has_best(summary.key)) {  // a learning rate has a last value, not a best one
      best[summary.key] = summary.best;
    }
  }
  // A damaged or hostile row shows as a null config rather than failing the whole listing.
  nlohmann::json config;
  try {
    config = parse_strict_json(run.config_json);
  } catch (const JsonSyntaxError&) {
    config = nullptr;
  }
  return {
      {"id", run.id},
      {"name", run.name},
      {"status", to_string(run.status)},
      {"task", run.task},
      {"mixer", run.mixer},
      {"epochs", run.epochs},
      {"steps", run.steps},
      {"num_parameters", run.num_parameters},
      {"state_size", run.state_size},
      {"seed", run.seed},
      {"device", run.device},
      {"error", run.error},
      {"pid", run.pid},
      {"cancel_requested", run.cancel_requested},
      {"created_at", run.created_at},
      {"started_at", run.started_at},
      {"finished_at", run.finished_at},
      {"metrics", metrics},
      {"best", best},
      {"config", config},
  };
}

}  // namespace zoolab
