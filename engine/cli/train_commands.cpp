// zoolab-cli train and resume.

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/config/config_error.h"
#include "engine/store/run_queue.h"
#include "engine/store/store.h"
#include "engine/train/distributed.h"
#include "engine/train/distributed_launch.h"
#include "engine/train/model_setup.h"
#include "engine/train/stop_request.h"
#include "engine/train/trainer.h"
#include "engine/util/strict_json.h"

namespace zoolab {
namespace {

struct TrainArgs {
  std::string db;
  ConfigSource source;
  std::string name;
  std::string run;
  std::string shards;
  int threads = 0;
  std::string device = "cpu";
  bool quiet = false;
  int nproc = 1;
  double collective_timeout = kDefaultCollectiveTimeoutSeconds;
};

void add_runtime_options(CLI::App* command, TrainArgs& args) {
  command
      ->add_option("--nproc", args.nproc,
                   "Train with N processes on this machine (data parallel: each takes 1/N of every batch); "
                   "--threads is split among them. Under torchrun or srun leave it out: RANK/WORLD_SIZE "
                   "(or SLURM_PROCID/SLURM_NTASKS) and MASTER_ADDR/MASTER_PORT say where each process is")
      ->check(CLI::Range(1, 1024));
  command
      ->add_option("--collective-timeout", args.collective_timeout,
                   "Seconds a rank waits for the others at a collective (and at the rendezvous) before the "
                   "run stops as interrupted")
      ->check(CLI::Range(1.0, 86400.0));
  command->add_option("--db", args.db, kDatabaseOptionHelp);
  command->add_option("--threads", args.threads, "CPU threads (default: every core)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--device", args.device, "cpu or cuda")->check(CLI::IsMember({"cpu", "cuda"}));
  command->add_flag("--quiet", args.quiet, "Print only the run id at the end");
}

// A text run's validation: step, train loss since the last one, validation perplexity, throughput.
std::string format_validation(const EpochReport& report) {
  char line[256];
  const auto perplexity =
      report.metrics.count("valid/perplexity") ? report.metrics.at("valid/perplexity") : NAN;
  const auto valid_loss = report.metrics.count("valid/loss") ? report.metrics.at("valid/loss") : NAN;
  std::snprintf(line, sizeof(line),
                "validation %2lld/%lld  step %7lld/%lld  lr %.2e  train/loss %.4f  valid/loss %.4f  "
                "valid/perplexity %.2f  %.1f s  %.0f tokens/s",
                static_cast<long long>(report.epoch + 1), static_cast<long long>(report.max_epochs),
                static_cast<long long>(report.step), static_cast<long long>(report.max_steps),
                report.learning_rate, report.train_loss, valid_loss, perplexity, report.seconds,
                report.tokens_per_s);
  return line;
}

}  // namespace

std::string format_epoch(const EpochReport& report) {
  if (report.max_steps > 0) {
    return format_validation(report);
  }
  char line[256];
  const auto accuracy = report.metrics.count("valid/accuracy") ? report.metrics.at("valid/accuracy") : NAN;
  const auto valid_loss = report.metrics.count("valid/loss") ? report.metrics.at("valid/loss") : NAN;
  std::snprintf(
      line, sizeof(line),
      "epoch %3lld/%lld  step %7lld  lr %.2e  train/loss %.4f  valid/loss %.4f  valid/accuracy %.4f  "
      "%.1f s  %.0f ex/s",
      static_cast<long long>(report.epoch + 1), static_cast<long long>(report.max_epochs),
      static_cast<long long>(report.step), report.learning_rate, report.train_loss, valid_loss, accuracy,
      report.seconds, report.examples_per_s);
  return line;
}

namespace {

// This process's place in a data-parallel job (engine/train/distributed_launch.h).
struct Ranks : JoinedRanks {
  bool published = false;  // the run went to the other ranks
  bool follower() const { return group && group->rank() != 0; }
};

Ranks join_train_ranks(TrainArgs& args) {
  Ranks ranks;
  static_cast<JoinedRanks&>(ranks) = join_ranks(args.nproc, args.threads, args.collective_timeout,
                                                args.device == "cuda", args.quiet ? nullptr : &std::cout);
  args.threads = ranks.threads;
  return ranks;
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

int train_and_report(Store& store, int64_t run_id, const RunConfig& config, const TrainArgs& args,
                     bool resume, Ranks& ranks) {
  install_stop_signal_handlers();
  TrainOptions options;
  options.threads = args.threads;
  options.device = args.device;
  options.resume = resume;
  options.group = ranks.group.get();
  if (ranks.group) {
    // The other ranks wait for the run: its id and configuration come from here (they need no database).
    const nlohmann::json run = {{"run_id", run_id}, {"config", to_json(config).dump()}, {"resume", resume}};
    ranks.group->broadcast_text("run", run.dump());
    ranks.published = true;
  }
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
    std::cerr << "zoolab-cli: run " << run_id << " " << to_string(result.status) << ": " << result.message
              << "\n";
  }
  int code = result.input_error ? 2 : exit_code_for(result.status);
  if (ranks.local) {  // the ranks this process started: each one that failed, by rank
    // A rank outlives rank 0 by at most one collective's timeout (its next collective fails).
    const auto grace =
        std::chrono::milliseconds(static_cast<int64_t>(args.collective_timeout * 1000.0) + 10000);
    const auto failures = ranks.local->wait(grace, {code});
    for (const auto& failure : failures) {
      std::cerr << "zoolab-cli: run " << run_id << ": " << failure << "\n";
    }
    if (!failures.empty() && code == 0) {
      code = 1;
    }
  }
  // Unusable input (a damaged checkpoint or shard, a bad configuration) exits 2, as it does before a run.
  return code;
}

// A rank other than 0: the run comes from rank 0, and this rank writes nothing.
int train_as_follower(const TrainArgs& args, ProcessGroup& group) {
  install_stop_signal_handlers();
  const std::string who = "zoolab-cli: rank " + std::to_string(group.rank()) + ": ";
  const auto run = nlohmann::json::parse(group.broadcast_text("run", ""));
  if (run.contains("error")) {
    std::cerr << who << "rank 0 stopped before training: " << run["error"].get<std::string>() << "\n";
    return 1;
  }
  const auto run_id = run["run_id"].get<int64_t>();
  const auto config = parse_run_config(parse_strict_json(run["config"].get<std::string>()));
  TrainOptions options;
  options.threads = args.threads;
  options.device = args.device;
  options.resume = run["resume"].get<bool>();
  options.group = &group;
  const auto result = train_run_rank(run_id, config, options);
  if (result.status != RunStatus::Finished) {
    std::cerr << who << "run " << run_id << " " << to_string(result.status) << ": " << result.message << "\n";
  }
  return result.input_error ? 2 : exit_code_for(result.status);
}

// Rank 0 (or a single process) runs `body`; on a data-parallel job the other ranks follow it. A failure
// of rank 0 before the run starts is passed on to them, so that they stop now rather than at the timeout.
int run_ranks(TrainArgs& args, const std::function<int(Ranks&)>& body) {
  auto ranks = join_train_ranks(args);
  if (ranks.follower()) {
    return train_as_follower(args, *ranks.group);
  }
  try {
    const int code = body(ranks);
    if (ranks.group && !ranks.published) {  // e.g. a queued run cancelled before it started
      ranks.group->broadcast_text("run", nlohmann::json{{"error", "the run did not start"}}.dump());
    }
    return code;
  } catch (const std::exception& error) {
    if (ranks.group && !ranks.published) {
      try {
        ranks.group->broadcast_text("run", nlohmann::json{{"error", error.what()}}.dump());
      } catch (...) {  // already told them: the run key is written once
      }
    }
    throw;
  }
}

// `train --run`: a queued run, or one its worker (our parent) claimed for us.
int train_queued_run(const TrainArgs& args, Ranks& ranks) {
  // First, so that a cancel forwarded right after the worker started us still checkpoints cleanly.
  install_stop_signal_handlers();
  Store store(database_path(args.db));
  store.reap_dead_runs();
  const auto run = find_run_or_throw(store, args.run);
  const auto me = static_cast<int64_t>(getpid());
  if (run.status == RunStatus::Queued) {
    if (!store.claim_run(run.id, me)) {
      throw std::runtime_error("run " + std::to_string(run.id) + " was just taken by another process");
    }
  } else if (run.status != RunStatus::Running ||
             (run.pid != me && run.pid != static_cast<int64_t>(getppid()))) {
    throw std::runtime_error(
        "run " + std::to_string(run.id) + " is " + to_string(run.status) +
        (run.status == RunStatus::Running ? " in process " + std::to_string(run.pid) : std::string()) +
        "; `train --run` takes queued runs only (`zoolab-cli requeue " + std::to_string(run.id) +
        "` queues a cancelled or interrupted one again)");
  }
  if (store.cancel_requested(run.id)) {
    store.set_status(run.id, RunStatus::Cancelled, "cancelled before it started");
    std::cerr << "zoolab-cli: run " << run.id << " cancelled before it started\n";
    return exit_code_for(RunStatus::Cancelled);
  }
  RunConfig config;
  try {
    // A stored run is validated as a new one is: its row may come from another machine or an older
    // version, and nothing is built before its memory estimate fits this machine.
    config = parse_run_config(parse_strict_json(run.config_json));
    validate_model_config(config);
  } catch (const std::exception& error) {
    store.set_status(run.id, RunStatus::Failed,
                     std::string("its stored configuration is invalid: ") + error.what());
    throw;
  }
  // A requeued run continues from its checkpoint; one that logged points but never checkpointed restarts
  // (the resume path drops those points first).
  const auto checkpoint = store.latest_checkpoint(run.id);
  const bool resume = checkpoint.has_value() || !store.summary(run.id).empty();
  if (checkpoint) {  // also with --quiet: this line is what the worker's log shows of a requeued run
    std::cout << "run " << run.id << ": resuming from the checkpoint at step " << checkpoint->step
              << std::endl;
  }
  return train_and_report(store, run.id, config, args, resume, ranks);
}

}  // namespace

void add_train_commands(CLI::App& app, CliState& state) {
  auto args = std::make_shared<TrainArgs>();

  auto* train = app.add_subcommand(
      "train", "Train a model (MQAR, or text on token shards) and record the run in the database");
  auto excluded_by_run = add_config_options(train, args->source);
  auto* name_option = train->add_option("--name", args->name, "Run name (default: the configuration's name)");
  auto* run_option = train->add_option(
      "--run", args->run,
      "Train this queued run (id or name) instead of a new one; resumes it from its checkpoint if it has one "
      "(what `zoolab-cli worker` runs)");
  auto* shards_option = train->add_option(
      "--shards", args->shards, "Token shards folder of a text run (`zoolab-cli data tokenize --out DIR`)");
  excluded_by_run.insert(excluded_by_run.end(), {name_option, shards_option});
  for (auto* excluded : excluded_by_run) {
    run_option->excludes(excluded);
  }
  add_runtime_options(train, *args);
  train->callback([args, &state]() {
    if (!args->run.empty()) {
      state.exit_code = run_ranks(*args, [&](Ranks& ranks) { return train_queued_run(*args, ranks); });
      return;
    }
    if (!args->source.given()) {
      throw ConfigError("", "give one of --config FILE, --preset NAME or --run ID");
    }
    state.exit_code = run_ranks(*args, [&](Ranks& ranks) {
      auto config = load_config_option(args->source);
      if (!args->name.empty()) {
        config.name = args->name;
      }
      apply_shards_option(config, args->shards);  // before the record: its hash is the stored config's
      Store store(database_path(args->db));
      store.reap_dead_runs();
      // Created running under our pid: a queued row would be fair game for a worker until training starts.
      auto record = new_run_record(config, RunStatus::Running);
      record.pid = static_cast<int64_t>(getpid());
      const auto run_id = store.create_run(record);
      if (!args->quiet) {
        std::cout << "run " << run_id << " \"" << config.name << "\" in " << store.path() << std::endl;
      }
      return train_and_report(store, run_id, config, *args, /*resume=*/false, ranks);
    });
  });

  auto* resume =
      app.add_subcommand("resume", "Continue a cancelled or interrupted run from its last checkpoint");
  resume->add_option("run", args->run, "Run id or name")->required();
  add_runtime_options(resume, *args);
  resume->callback([args, &state]() {
    state.exit_code = run_ranks(*args, [&](Ranks& ranks) {
      Store store(database_path(args->db));
      const auto run = find_stopped_run_or_throw(store, args->run, "resumed");
      const auto config = parse_run_config(parse_strict_json(run.config_json));
      validate_model_config(config);
      return train_and_report(store, run.id, config, *args, /*resume=*/true, ranks);
    });
  });
}

}  // namespace zoolab
