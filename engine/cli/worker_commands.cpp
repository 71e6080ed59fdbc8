// zoolab-cli enqueue, worker, cancel and requeue: the run queue that `zoolab-cli worker` serves.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "engine/cli/commands.h"
#include "engine/store/run_queue.h"
#include "engine/store/store.h"
#include "engine/text/utf8.h"
#include "engine/worker/trainer_process.h"
#include "engine/worker/worker.h"

namespace zoolab {
namespace {

struct QueueArgs {
  std::string db;
  ConfigSource source;
  std::string name;
  std::string run;
  std::string shards;
  bool quiet = false;
  WorkerOptions worker;
  std::string log_file;
  bool status = false;
  bool json = false;
  bool stop = false;
};

std::string no_worker_hint(const Store& store) {
  if (store.live_worker()) {
    return "";
  }
  return "no worker serves this database yet; start one with `zoolab-cli worker --db " + store.path() + "`";
}

std::string format_worker(const WorkerRecord& worker) {
  char age[32];
  std::snprintf(age, sizeof(age), "%.1f", worker.heartbeat_age_s);
  return "worker " + std::to_string(worker.id) + ": pid " + std::to_string(worker.pid) + " on " +
         escape_for_terminal(worker.hostname) + ", " + std::to_string(worker.slots) + " slot(s), heartbeat " +
         age + " s ago, started " + worker.started_at + (worker.stop_requested ? ", stopping" : "");
}

void worker_status(const Store& store, bool json) {
  const auto worker = store.live_worker();
  if (json) {
    nlohmann::json out = {{"live", worker.has_value()}, {"database", store.path()}};
    if (worker) {
      out.update({{"id", worker->id},
                  {"pid", worker->pid},
                  {"hostname", worker->hostname},
                  {"slots", worker->slots},
                  {"started_at", worker->started_at},
                  {"heartbeat_at", worker->heartbeat_at},
                  {"heartbeat_age_s", worker->heartbeat_age_s},
                  {"stop_requested", worker->stop_requested}});
    }
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    return;
  }
  std::cout << (worker ? format_worker(*worker) : "no live worker for " + store.path()) << std::endl;
}

// Asks the live worker to stop and waits for it; false when it is still finishing its trainers after 30 s.
bool stop_worker(Store& store) {
  const auto worker = store.live_worker();
  if (!worker) {
    std::cout << "no live worker for " << store.path() << std::endl;
    return true;
  }
  store.request_worker_stop(worker->id);
  std::cout << "asked worker " << worker->id << " (pid " << worker->pid << ") to stop" << std::endl;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    // Gone from the table, or no longer live (its process died without removing its row).
    const auto current = store.live_worker(3600);
    if (!current || current->id != worker->id) {
      std::cout << "worker " << worker->id << " stopped" << std::endl;
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::cerr << "zoolab-cli: worker " << worker->id << " (pid " << worker->pid
            << ") is still waiting for its trainers to checkpoint after 30 s; it exits once they have\n";
  return false;
}

std::string own_executable() {
  std::error_code error;
  const auto path = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::string("zoolab-cli") : path.string();
}

}  // namespace

void add_worker_commands(CLI::App& app, CliState& state) {
  auto args = std::make_shared<QueueArgs>();

  auto* enqueue =
      app.add_subcommand("enqueue", "Add a run to the queue; a worker trains it (see `zoolab-cli worker`)");
  add_config_options(enqueue, args->source);
  enqueue->add_option("--name", args->name, "Run name (default: the configuration's name)");
  enqueue->add_option("--shards", args->shards,
                      "Token shards folder of a text run (`zoolab-cli data tokenize --out DIR`)");
  enqueue->add_option("--db", args->db, kDatabaseOptionHelp);
  enqueue->add_flag("--quiet", args->quiet, "Print only the run id");
  enqueue->callback([args, &state]() {
    auto config = load_config_option(args->source);
    if (!args->name.empty()) {
      config.name = args->name;
    }
    apply_shards_option(config, args->shards);
    Store store(database_path(args->db));
    const auto run_id = store.create_run(new_run_record(config, RunStatus::Queued));
    if (args->quiet) {
      std::cout << run_id << std::endl;
    } else {
      std::cout << "run " << run_id << " \"" << config.name << "\" queued in " << store.path() << std::endl;
      if (const auto hint = no_worker_hint(store); !hint.empty()) {
        std::cout << hint << std::endl;
      }
    }
    state.exit_code = 0;
  });

  auto* worker = app.add_subcommand("worker", "Serve the run queue: train queued runs in child processes");
  worker->footer(
      "The worker trains each queued run as `zoolab-cli train --run ID` in a child process, logging to\n"
      "<db>.files/logs/run-ID.log. Only one worker serves a database. Stopping it (SIGTERM, Ctrl-C or\n"
      "`zoolab-cli worker --stop`) sends SIGTERM to its trainers: they checkpoint and become cancelled;\n"
      "`zoolab-cli requeue RUN` (a worker continues it) or `zoolab-cli resume RUN` continues each one\n"
      "from its checkpoint. A trainer that dies (crash, kill -9, out of memory) leaves its run interrupted.");
  worker->add_option("--db", args->db, kDatabaseOptionHelp);
  auto* slots = worker->add_option("--slots", args->worker.slots, "Runs trained at once")
                    ->check(CLI::PositiveNumber)
                    ->capture_default_str();
  auto* threads = worker
                      ->add_option("--threads", args->worker.threads_per_child,
                                   "CPU threads per run (default: cores / slots)")
                      ->check(CLI::NonNegativeNumber);
  auto* nproc =
      worker
          ->add_option("--nproc", args->worker.nproc,
                       "Train each run data parallel in N processes (`train --nproc N`); --threads is "
                       "then each run's total, split among them")
          ->check(CLI::Range(1, 1024));
  auto* device = worker->add_option("--device", args->worker.device, "Device of every run: cpu or cuda")
                     ->check(CLI::IsMember({"cpu", "cuda"}))
                     ->capture_default_str();
  auto* poll = worker->add_option("--poll-ms", args->worker.poll_ms, "Database poll interval in milliseconds")
                   ->check(CLI::Range(10, 60000))
                   ->capture_default_str();
  auto* idle = worker->add_flag("--exit-when-idle", args->worker.exit_when_idle,
                                "Exit once nothing is queued and no run is training (for scripts)");
  auto* log =
      worker->add_option("--log", args->log_file, "Append the worker's own log here (default: stdout)");
  auto* status =
      worker->add_flag("--status", args->status, "Show the live worker (pid, slots, heartbeat) and exit");
  auto* json = worker->add_flag("--json", args->json, "With --status: one JSON object");
  auto* stop =
      worker->add_flag("--stop", args->stop, "Ask the live worker to stop and wait up to 30 s for it");
  json->needs(status);
  status->excludes(stop);
  for (auto* serving : {slots, threads, nproc, device, poll, idle, log}) {
    status->excludes(serving);
    stop->excludes(serving);
  }
  worker->callback([args, &state]() {
    Store store(database_path(args->db));
    if (args->status) {
      worker_status(store, args->json);
      state.exit_code = 0;
      return;
    }
    if (args->stop) {
      state.exit_code = stop_worker(store) ? 0 : 1;
      return;
    }
    WorkerOptions options = args->worker;
    options.db_path = store.path();
    options.program_name = own_executable();
    std::ofstream log_file;
    if (!args->log_file.empty()) {
      log_file.open(args->log_file, std::ios::app);
      if (!log_file) {
        throw std::runtime_error("cannot open the worker log " + args->log_file + " for appending (--log)");
      }
    }
    state.exit_code = run_worker(options, args->log_file.empty() ? std::cout : log_file);
  });

  auto* cancel =
      app.add_subcommand("cancel", "Cancel a run: a queued one at once, a running one at its next step");
  cancel->add_option("run", args->run, "Run id or name")->required();
  cancel->add_option("--db", args->db, kDatabaseOptionHelp);
  cancel->callback([args, &state]() {
    Store store(database_path(args->db));
    store.reap_dead_runs();
    const auto run = find_run_or_throw(store, args->run);
    if (is_terminal(run.status)) {
      throw std::runtime_error("run " + std::to_string(run.id) + " is " + to_string(run.status) +
                               "; only queued or running runs can be cancelled");
    }
    store.request_cancel(run.id);
    if (run.status == RunStatus::Queued) {
      std::cout << "run " << run.id << " cancelled (it had not started)" << std::endl;
    } else if (terminate_trainer(run.pid)) {
      std::cout << "run " << run.id << ": cancel requested; trainer process " << run.pid
                << " got SIGTERM and stops after its current step (checkpointed, resumable)" << std::endl;
    } else {
      std::cout << "run " << run.id << ": cancel requested; its worker stops the trainer within a poll"
                << std::endl;
    }
    state.exit_code = 0;
  });

  auto* requeue =
      app.add_subcommand("requeue", "Queue a cancelled or interrupted run again; a worker resumes it");
  requeue->add_option("run", args->run, "Run id or name")->required();
  requeue->add_option("--db", args->db, kDatabaseOptionHelp);
  requeue->callback([args, &state]() {
    Store store(database_path(args->db));
    const auto run = find_stopped_run_or_throw(store, args->run, "requeued");
    store.requeue_run(run.id);
    const auto checkpoint = store.latest_checkpoint(run.id);
    std::cout << "run " << run.id << " queued again; it resumes "
              << (checkpoint ? "from its checkpoint at step " + std::to_string(checkpoint->step)
                             : std::string("from the beginning (no checkpoint yet)"))
              << std::endl;
    if (const auto hint = no_worker_hint(store); !hint.empty()) {
      std::cout << hint << std::endl;
    }
    state.exit_code = 0;
  });
}

}  // namespace zoolab
