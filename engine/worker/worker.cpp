#include "engine/worker/worker.h"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <ctime>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "engine/store/store.h"
#include "engine/worker/child_process.h"

namespace zoolab {
namespace {

std::atomic<bool> g_worker_stop{false};
static_assert(std::atomic<bool>::is_always_lock_free, "the stop flag must be usable from a signal handler");

extern "C" void handle_worker_stop_signal(int) {
  g_worker_stop.store(true, std::memory_order_relaxed);
}

// Installs the worker's signal dispositions for the lifetime of run_worker and restores the old ones.
class WorkerSignals {
 public:
  WorkerSignals() {
    g_worker_stop.store(false);
    struct sigaction stop {};
    stop.sa_handler = handle_worker_stop_signal;
    sigemptyset(&stop.sa_mask);
    sigaction(SIGTERM, &stop, &m_term);
    sigaction(SIGINT, &stop, &m_int);
    // Its log may be a pipe whose reader went away (a GUI that closed); that must not kill the queue.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGPIPE, &ignore, &m_pipe);
    // waitpid needs zombies: a parent that set SIGCHLD to SIG_IGN would have them reaped automatically.
    struct sigaction child {};
    child.sa_handler = SIG_DFL;
    sigemptyset(&child.sa_mask);
    sigaction(SIGCHLD, &child, &m_chld);
  }
  ~WorkerSignals() {
    sigaction(SIGTERM, &m_term, nullptr);
    sigaction(SIGINT, &m_int, nullptr);
    sigaction(SIGPIPE, &m_pipe, nullptr);
    sigaction(SIGCHLD, &m_chld, nullptr);
  }
  WorkerSignals(const WorkerSignals&) = delete;
  WorkerSignals& operator=(const WorkerSignals&) = delete;

 private:
  struct sigaction m_term {
  }, m_int{}, m_pipe{}, m_chld{};
};

struct Child {
  pid_t pid = 0;
  int64_t run = 0;
  std::string log_path;
  bool terminated = false;  // we sent SIGTERM (a cancel or the worker stopping)
};

void note(std::ostream& log, const std::string& text) {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &local);
  log << stamp << "  " << text << std::endl;
}

class Worker {
 public:
  Worker(const WorkerOptions& options, std::ostream& log)
      : m_options(options),
        m_log(log),
        m_db_path(std::filesystem::absolute(options.db_path).string()),
        m_store(m_db_path),
        m_threads(threads_per_child(options.threads_per_child, options.slots)) {}

  int serve();

 private:
  void collect_exited();
  void forward_cancels();
  void start_children();
  void terminate_children();

  const WorkerOptions& m_options;
  std::ostream& m_log;
  std::string m_db_path;
  Store m_store;
  int m_threads;
  int64_t m_id = 0;
  std::vector<Child> m_children;
};

int Worker::serve() {
  if (const auto other = m_store.live_worker()) {
    throw std::runtime_error("another worker (pid " + std::to_string(other->pid) + " on " + other->hostname +
                             ") already serves " + m_db_path +
                             "; stop it with `zoolab-cli worker --stop --db " + m_db_path +
                             "` or let it run the queue");
  }
  WorkerSignals signals;
  m_id = m_store.register_worker(static_cast<int64_t>(getpid()), m_options.slots);
  note(m_log, "worker " + std::to_string(m_id) + " (pid " + std::to_string(getpid()) + ") serves " +
                  m_db_path + " with " + std::to_string(m_options.slots) + " slot(s), " +
                  std::to_string(m_threads) + " thread(s) per run");
  bool stopping = false;
  bool registered = true;
  try {
    for (;;) {
      // Heartbeats continue while stopping: a GUI must not start a second worker while this one waits.
      if (registered) {
        try {
          m_store.worker_heartbeat(m_id);
        } catch (const StoreError&) {
          if (!m_store.worker_stop_requested(m_id)) {
            throw;
          }
          registered = false;  // someone removed our row: take it as a stop request
          note(m_log, "the worker's row was removed from the database");
        }
      }
      collect_exited();
      for (const int64_t run : m_store.reap_dead_runs()) {
        note(m_log, "run " + std::to_string(run) + " interrupted: its trainer process is gone");
      }
      if (!stopping && (g_worker_stop.load() || m_store.worker_stop_requested(m_id))) {
        stopping = true;
        note(m_log, m_children.empty() ? std::string("stopping")
                                       : "stopping: SIGTERM to " + std::to_string(m_children.size()) +
                                             " trainer(s); they checkpoint and become cancelled");
      }
      if (stopping) {
        terminate_children();
        if (m_children.empty()) {
          break;
        }
      } else {
        forward_cancels();
        start_children();
        if (m_options.exit_when_idle && m_children.empty()) {
          note(m_log, "nothing queued: exiting (--exit-when-idle)");
          break;
        }
      }
      // A signal cuts the sleep short; the next round sees the flag.
      struct timespec pause {};
      pause.tv_sec = m_options.poll_ms / 1000;
      pause.tv_nsec = static_cast<long>(m_options.poll_ms % 1000) * 1000000L;
      nanosleep(&pause, nullptr);
    }
  } catch (...) {
    // The children keep training on their own; only this worker's row must not outlive it.
    try {
      m_store.remove_worker(m_id);
    } catch (...) {
    }
    throw;
  }
  m_store.remove_worker(m_id);
  note(m_log, "worker " + std::to_string(m_id) + " stopped");
  return 0;
}

void Worker::collect_exited() {
  for (auto child = m_children.begin(); child != m_children.end();) {
    const auto status = poll_child(child->pid);
    if (!status) {
      ++child;
      continue;
    }
    const std::string run = std::to_string(child->run);
    const std::string how =
        "trainer process " + std::to_string(child->pid) + " " + describe_wait_status(*status);
    // A run still marked running has a trainer that never reached its own end (a SIGTERM before it
    // installed its handler, a crash, kill -9, out of memory).
    if (child->terminated &&
        m_store.finish_if_running(
            child->run, RunStatus::Cancelled,
            "cancelled: the " + how + " before it could checkpoint; `zoolab-cli requeue " + run +
                "` continues from the last checkpoint (log: " + child->log_path + ")")) {
      note(m_log, "run " + run + " cancelled (" + how + ")");
    } else if (m_store.finish_if_running(child->run, RunStatus::Interrupted,
                                         "the " + how +
                                             " without marking the run (crash, kill -9 or out of "
                                             "memory?); see its log " +
                                             child->log_path + "; `zoolab-cli requeue " + run +
                                             "` resumes it")) {
      note(m_log, "run " + run + " interrupted: " + how + "; log " + child->log_path);
    } else {
      const auto record = m_store.find_run(child->run);
      note(m_log, "run " + run + " " + (record ? to_string(record->status) : "deleted") + " (" + how + ")");
    }
    child = m_children.erase(child);
  }
}

void Worker::forward_cancels() {
  for (auto& child : m_children) {
    if (child.terminated) {
      continue;
    }
    const auto run = m_store.find_run(child.run);
    if (run && run->cancel_requested) {
      ::kill(child.pid, SIGTERM);
      child.terminated = true;
      note(m_log, "run " + std::to_string(child.run) + ": cancel requested, SIGTERM to trainer process " +
                      std::to_string(child.pid));
    }
  }
}

void Worker::start_children() {
  while (static_cast<int>(m_children.size()) < m_options.slots) {
    const auto run = m_store.claim_next_queued_run(m_id);
    if (!run) {
      return;
    }
    const std::string id = std::to_string(run->id);
    const std::string log_path =
        (std::filesystem::path(m_store.files_dir()) / "logs" / ("run-" + id + ".log")).string();
    std::vector<std::string> args = {
        m_options.program_name,    "train",    "--run",          id,       "--db", m_db_path, "--threads",
        std::to_string(m_threads), "--device", m_options.device, "--quiet"};
    if (m_options.nproc > 1) {  // the child is rank 0 of a data-parallel job and starts the others
      args.insert(args.end(), {"--nproc", std::to_string(m_options.nproc)});
    }
    pid_t pid = 0;
    try {
      pid = spawn_logged(m_options.program, args, log_path);
    } catch (const std::runtime_error& error) {
      m_store.finish_if_running(run->id, RunStatus::Interrupted,
                                std::string("the worker could not start its trainer: ") + error.what());
      note(m_log, "run " + id + " interrupted: " + error.what());
      continue;
    }
    // Recorded before the child starts writing, so `zoolab-cli cancel` and reap_dead_runs see the trainer.
    m_store.set_run_pid(run->id, pid);
    m_children.push_back({pid, run->id, log_path, false});
    note(m_log, "run " + id + " \"" + run->name + "\" started: trainer process " + std::to_string(pid) +
                    ", log " + log_path);
  }
}

void Worker::terminate_children() {
  for (auto& child : m_children) {
    if (!child.terminated) {
      ::kill(child.pid, SIGTERM);
      child.terminated = true;
      note(m_log,
           "run " + std::to_string(child.run) + ": SIGTERM to trainer process " + std::to_string(child.pid));
    }
  }
}

}  // namespace

int threads_per_child(int requested, int slots) {
  if (requested > 0) {
    return requested;
  }
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, (cores > 0 ? cores : 1) / std::max(1, slots));
}

int run_worker(const WorkerOptions& options, std::ostream& log) {
  if (options.db_path.empty()) {
    throw std::invalid_argument("worker: no database path (pass --db FILE or set ZOOLAB_DB)");
  }
  if (options.slots < 1) {
    throw std::invalid_argument("worker: --slots must be at least 1, got " + std::to_string(options.slots));
  }
  if (options.threads_per_child < 0) {
    throw std::invalid_argument("worker: --threads must be 0 (cores / slots) or more, got " +
                                std::to_string(options.threads_per_child));
  }
  if (options.poll_ms < 10 || options.poll_ms > 60000) {
    throw std::invalid_argument("worker: --poll-ms must be between 10 and 60000, got " +
                                std::to_string(options.poll_ms));
  }
  if (options.device != "cpu" && options.device != "cuda") {
    throw std::invalid_argument("worker: --device must be cpu or cuda, got \"" + options.device + "\"");
  }
  Worker worker(options, log);
  return worker.serve();
}

}  // namespace zoolab
