// zoolab-cli export and import: model weights as safetensors under Zoology's state-dict names.

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>

#include <torch/torch.h>

#include "engine/cli/commands.h"
#include "engine/data/tasks/mqar.h"
#include "engine/store/run_queue.h"
#include "engine/store/store.h"
#include "engine/train/batches.h"
#include "engine/train/checkpoint.h"
#include "engine/train/evaluation.h"
#include "engine/train/model_setup.h"
#include "engine/train/resume_checks.h"
#include "engine/train/trainer.h"
#include "engine/train/weight_exchange.h"
#include "engine/util/input_error.h"
#include "engine/util/strict_json.h"

namespace zoolab {
namespace {

struct WeightArgs {
  std::string db;
  std::string run;
  std::string format = "safetensors";
  std::string out;
  std::string file;
  ConfigSource source;
  std::string name;
};

// The weights file is written as "<out>.tmp" and renamed; that name must not survive a failure.
class TemporaryOutput {
 public:
  explicit TemporaryOutput(const std::string& out) : m_path(out + ".tmp") {
    std::error_code ignored;
    m_ours = !std::filesystem::exists(std::filesystem::symlink_status(m_path, ignored));
  }
  ~TemporaryOutput() {
    if (m_ours) {
      std::error_code ignored;
      std::filesystem::remove(m_path, ignored);  // after a success there is nothing left to remove
    }
  }
  TemporaryOutput(const TemporaryOutput&) = delete;
  TemporaryOutput& operator=(const TemporaryOutput&) = delete;

 private:
  std::string m_path;
  bool m_ours = false;  // a file of that name that was there before is not ours to remove
};

void export_run(const WeightArgs& args) {
  std::error_code ignored;
  if (std::filesystem::is_directory(args.out, ignored)) {
    throw InputError("--out " + args.out + " is a folder; give the file to write, e.g. " +
                     (std::filesystem::path(args.out) / ("run-" + args.run + ".safetensors")).string());
  }
  Store store(database_path(args.db), Store::Access::Read);
  const auto run = find_run_or_throw(store, args.run);
  RunConfig config;
  try {
    config = parse_run_config(parse_strict_json(run.config_json));
  } catch (const JsonSyntaxError& error) {
    throw StoreError("run " + std::to_string(run.id) + " in " + store.path() +
                     ": its stored configuration is not valid JSON: " + error.what());
  }
  const auto checkpoint = store.latest_checkpoint(run.id);
  if (!checkpoint) {
    throw std::runtime_error("run " + std::to_string(run.id) + " (" + to_string(run.status) +
                             ") has no checkpoint to export; it has not completed an epoch");
  }
  LanguageModel model(language_model_options(config));
  auto optimizer = make_optimizer(model, config);
  load_checkpoint(checkpoint->path, model, optimizer);
  const TemporaryOutput temporary(args.out);
  export_model_weights(model, args.out, to_json(config));
  std::cout << "exported run " << run.id << " (epoch " << checkpoint->epoch << ", step " << checkpoint->step
            << ") to " << args.out << std::endl;
}

// Valid metrics of `model` on the configuration's test split, as the trainer computes them.
std::map<std::string, double> evaluate_on_test(LanguageModel& model, const RunConfig& config,
                                               const Store& store) {
  const auto cache_dir = config.data.cache_dir.empty()
                             ? (std::filesystem::path(store.files_dir()) / "cache").string()
                             : config.data.cache_dir;
  const auto seeds = segment_seeds(config.data);
  auto test_split =
      make_batches(load_segments(config.data.test, seeds.test, config.data.vocab_size, cache_dir),
                   config.data.test_batch_size, torch::Device(torch::kCPU));
  return evaluate(model, test_split, config.train);
}

void import_weights(const WeightArgs& args) {
  auto config = load_config_option(args.source);
  if (is_text_task(config.data)) {
    throw ConfigError("data.task",
                      "import evaluates the weights on the MQAR test split; text runs are not "
                      "supported yet (train one with `zoolab-cli train --shards DIR`)");
  }
  if (!args.name.empty()) {
    config.name = args.name;
  }
  torch::manual_seed(config.seed);
  LanguageModel model(language_model_options(config));
  import_model_weights(model, args.file);

  Store store(database_path(args.db));
  const auto metrics = evaluate_on_test(model, config, store);
  // Finite weights can still overflow in the forward pass; a run whose metrics are NaN is not recorded.
  for (const auto& [key, value] : metrics) {
    if (!std::isfinite(value)) {
      throw InputError("weights file " + args.file + ": the model gives " + key + " = " +
                       std::to_string(value) + " on the test split; not recorded");
    }
  }

  const auto run_id = store.create_run(new_run_record(config, RunStatus::Finished));
  try {
    int64_t test_len = 0;
    for (const auto& segment : config.data.test) {
      test_len = std::max(test_len, segment.input_seq_len);
    }
    store.set_model_info(run_id, model->num_parameters(), model->state_size(test_len));
    std::vector<MetricPoint> points;
    for (const auto& [key, value] : metrics) {
      MetricPoint point;
      point.run_id = run_id;
      point.key = key;
      point.value = value;
      points.push_back(point);
    }
    store.append_metrics(points);

    CheckpointPosition position;
    position.run_id = run_id;
    position.config_hash = config_hash(config);
    position.run_uid = checkpoint_run_uid(store, run_id);
    const auto path = (std::filesystem::path(store.files_dir()) / "runs" / std::to_string(run_id) /
                       "checkpoint-e0000-s00000000.zlck")
                          .string();
    auto optimizer = make_optimizer(model, config);
    save_checkpoint(path, position, model, optimizer);
    store.add_checkpoint(run_id, 0, 0, path);
  } catch (const std::exception& error) {
    store.set_status(run_id, RunStatus::Failed, std::string("import failed: ") + error.what());
    throw;
  }
  std::cout << run_id << std::endl;
}

}  // namespace

void add_weight_commands(CLI::App& app, CliState& state) {
  auto args = std::make_shared<WeightArgs>();

  auto* exporter =
      app.add_subcommand("export", "Write a run's latest weights to a file (Zoology state-dict names)");
  exporter->add_option("run", args->run, "Run id or name")->required();
  exporter->add_option("--db", args->db, kDatabaseOptionHelp);
  exporter->add_option("--format", args->format, "File format")->check(CLI::IsMember({"safetensors"}));
  exporter->add_option("--out", args->out, "Output file")->required();
  exporter->callback([args, &state]() {
    export_run(*args);
    state.exit_code = 0;
  });

  auto* importer = app.add_subcommand(
      "import", "Load weights into a model of a configuration, evaluate it and record it as a finished run");
  importer->add_option("file", args->file, "safetensors file")->required()->check(CLI::ExistingFile);
  add_config_options(importer, args->source);
  importer->add_option("--db", args->db, kDatabaseOptionHelp);
  importer->add_option("--name", args->name, "Run name (default: the configuration's name)");
  importer->callback([args, &state]() {
    import_weights(*args);
    state.exit_code = 0;
  });
}

}  // namespace zoolab
