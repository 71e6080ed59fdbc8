// zoolab-cli train and resume.

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/store/store.h"
#include "engine/train/stop_request.h"
#include "engine/train/trainer.h"

namespace zoolab {
namespace {

struct TrainArgs {
  std::string db;
  std::string config_file;
  std::string preset;
  std::string name;
  std::string run;
  int threads = 0;
  std::string device = "cpu";
  bool quiet = false;
};

void add_runtime_options(CLI::App* command, TrainArgs& args) {
  command->add_option("--db", args.db, "Run database (default: $ZOOLAB_DB, else ~/.local/share/zoolab/zoolab.sqlite)");
  command->add_option("--threads", args.threads, "CPU threads (default: every core)")->check(CLI::NonNegativeNumber);
  command->add_option("--device", args.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  command->add_flag("--quiet", args.quiet, "Print only the run id at the end");
}

std::string format_epoch(const EpochReport& report) {
  char line[256];
  const auto accuracy = report.metrics.count("valid/accuracy") ? report.metrics.at("valid/accuracy") : NAN;
  const auto valid_loss = report.metrics.count("valid/loss") ? report.metrics.at("valid/loss") : NAN;
  std::snprintf(line, sizeof(line),
                "epoch %3lld/%lld  step %7lld  lr %.2e  train/loss %.4f  valid/loss %.4f  valid/accuracy %.4f  "
                "%.1f s  %.0f ex/s",
                static_cast<long long>(report.epoch + 1), static_cast<long long>(report.max_epochs),
                static_cast<long long>(report.step), report.learning_rate, report.train_loss, valid_loss, accuracy,
                report.seconds, report.examples_per_s);
  return line;
}

int exit_code_for(RunStatus status) {
  switch (status) {
    case RunStatus::Finished:
      return 0;
    case RunStatus::Cancelled:
      return 130;
    case RunStatus::Diverged:
      return 4;
    default:
      return 1;
  }
}

int train_and_report(Store& store, int64_t run_id, const RunConfig& config, const TrainArgs& args, bool resume) {
  install_stop_signal_handlers();
  TrainOptions options;
  options.threads = args.threads;
  options.device = args.device;
  options.resume = resume;
  if (!args.quiet) {
    options.on_epoch = [](const EpochReport& report) { std::cout << format_epoch(report) << std::endl; };
    options.on_message = [](const std::string& text) { std::cout << text << std::endl; };
  }
  const auto result = train_run(store, run_id, config, options);
  if (args.quiet) {
    std::cout << run_id << std::endl;
  } else {
    std::cout << "run " << run_id << " " << to_string(result.status) << ": " << result.message << std::endl;
  }
  if (result.status != RunStatus::Finished) {
    std::cerr << "zoolab-cli: run " << run_id << " " << to_string(result.status) << ": " << result.message << "\n";
  }
  return exit_code_for(result.status);
}

}  // namespace

void add_train_commands(CLI::App& app, CliState& state) {
  auto args = std::make_shared<TrainArgs>();

  auto* train = app.add_subcommand("train", "Train a model on MQAR and record the run in the database");
  auto* config_option = train->add_option("--config", args->config_file, "Run configuration (strict JSON)");
  auto* preset_option = train->add_option("--preset", args->preset, "Built-in preset (see `zoolab-cli presets`)");
  config_option->excludes(preset_option);
  train->add_option("--name", args->name, "Run name (default: the configuration's name)");
  add_runtime_options(train, *args);
  train->callback([args, &state]() {
    auto config = load_config_option(args->config_file, args->preset);
    if (!args->name.empty()) {
      config.name = args->name;
    }
    Store store(database_path(args->db));
    store.reap_dead_runs();
    const auto run_id = store.create_run(new_run_record(config));
    if (!args->quiet) {
      std::cout << "run " << run_id << " \"" << config.name << "\" in " << store.path() << std::endl;
    }
    state.exit_code = train_and_report(store, run_id, config, *args, /*resume=*/false);
  });

  auto* resume = app.add_subcommand("resume", "Continue a cancelled or interrupted run from its last checkpoint");
  resume->add_option("run", args->run, "Run id or name")->required();
  add_runtime_options(resume, *args);
  resume->callback([args, &state]() {
    Store store(database_path(args->db));
    store.reap_dead_runs();
    const auto run = find_run_or_throw(store, args->run);
    if (run.status != RunStatus::Cancelled && run.status != RunStatus::Interrupted) {
      throw std::runtime_error("run " + std::to_string(run.id) + " is " + to_string(run.status) +
                               "; only cancelled or interrupted runs can be resumed");
    }
    const auto config = parse_run_config(nlohmann::json::parse(run.config_json));
    state.exit_code = train_and_report(store, run.id, config, *args, /*resume=*/true);
  });
}

}  // namespace zoolab
