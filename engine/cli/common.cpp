#include <fstream>
#include <set>

#include "engine/cli/commands.h"
#include "engine/config/config_overrides.h"
#include "engine/config/presets.h"
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

NewRun new_run_record(const RunConfig& given, RunStatus status) {
  // A text run's shards path is stored absolute (workers do not share our cwd); callers that train the
  // config themselves make it absolute first, so that its hash matches the stored one.
  RunConfig config = given;
  make_text_paths_absolute(config);
  NewRun run;
  run.name = config.name;
  run.task = is_text_task(config.data) ? config.data.task : config.data.train.front().task;
  run.mixer = config.model.sequence_mixer.name;
  run.config_json = to_json(config).dump();
  run.seed = static_cast<int64_t>(config.seed);
  run.status = status;
  return run;
}

std::vector<NewRun> sweep_run_records(const std::vector<SweepPoint>& points) {
  std::vector<NewRun> runs;
  runs.reserve(points.size());
  // Building a model to check it costs up to a tenth of a second; Figure 2's 448 points are 112 models.
  // The data are part of the key: the memory estimate checked with the model counts batches and examples.
  std::set<std::string> checked_models;
  for (const auto& point : points) {
    try {
      RunConfig config = parse_run_config(point.config);
      const nlohmann::json json = to_json(config);
      const std::string model_key = json["model"].dump() + "/" + json["data"].dump();
      if (checked_models.insert(model_key).second)
        validate_model_config(config);
      runs.push_back(new_run_record(config, RunStatus::Queued));
    } catch (const ConfigError& error) {
      throw ConfigError("", "sweep point \"" + point.name + "\": " + error.what());
    }
  }
  return runs;
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
    best[summary.key] = summary.best;
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
