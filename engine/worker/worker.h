#pragma once

// The queue worker (docs/architecture.md#how-the-window-starts-a-worker): serves one database, taking queued
// runs up to `slots` at a time and training each in a child process `<program> train --run ID --db DB
// --threads T --quiet`, its output in <files_dir>/logs/run-<ID>.log. It forwards cancel requests to the child
// as SIGTERM and marks a run whose child died without saying so (crash, kill -9, out of memory) interrupted.
// It links no torch: training only ever happens in the children.

#include <ostream>
#include <string>

namespace zoolab {

struct WorkerOptions {
  std::string db_path;
  // What the children run. /proc/self/exe in a child is the worker's own binary even if the file was
  // replaced since, so a run continues with the build that started it.
  std::string program = "/proc/self/exe";
  std::string program_name = "zoolab-cli";  // argv[0] of the children (what ps shows)
  int slots = 1;                            // runs trained at once, >= 1
  int threads_per_child = 0;                // 0: the machine's cores divided by slots (at least 1)
  std::string device = "cpu";               // passed to each child's --device
  int nproc = 1;      // > 1: each run trains data parallel in nproc processes (`train --nproc`), its threads
                      // split among them
  int poll_ms = 500;  // database poll interval, 10..60000
  bool exit_when_idle = false;  // return once nothing is queued and no child runs
};

// Serves until SIGTERM or SIGINT arrives, a stop is requested through the database (`zoolab-cli worker
// --stop`), or, with exit_when_idle, the queue is empty and no child runs. On a stop it claims nothing
// more, sends SIGTERM to its children (they checkpoint and become cancelled), waits for them and removes
// its worker row. Writes one line per event to `log`. Returns 0; throws std::invalid_argument for bad
// options, std::runtime_error when another live worker serves the database (the message names its pid)
// and StoreError when the database fails.
int run_worker(const WorkerOptions& options, std::ostream& log);

// The number of threads each child gets: `requested` if positive, else cores / slots, at least 1.
int threads_per_child(int requested, int slots);

}  // namespace zoolab
