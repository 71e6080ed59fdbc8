#pragma once

// `--nproc N`: a data-parallel job on this machine, started by the program itself, as torchrun's
// standalone mode does: this process becomes rank 0 and starts N - 1 copies of itself with the variables
// torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR=127.0.0.1, MASTER_PORT a free
// loopback port). The copies die with this process (PR_SET_PDEATHSIG), and are killed when it leaves
// early, so no rank outlives the job.

#include <sys/types.h>
#include <string>
#include <vector>

#include "engine/train/distributed.h"

namespace zoolab {

class LocalRanks {
 public:
  // Starts ranks 1 .. nproc - 1 as `/proc/self/exe args...`. Throws std::runtime_error when one cannot be
  // started (the ones already started are killed).
  LocalRanks(int nproc, const std::vector<std::string>& args);
  // Kills and reaps the ranks still running (SIGTERM, then SIGKILL after two seconds).
  ~LocalRanks();
  LocalRanks(const LocalRanks&) = delete;
  LocalRanks& operator=(const LocalRanks&) = delete;

  // This process's place: rank 0 of nproc at the rendezvous address the children got.
  const DistributedEnv& env() const { return m_env; }

  // Waits up to `grace` for every started rank and returns one line per rank that did not exit with
  // status 0 or with one of `accepted` ("rank 1 (pid 4242) was killed by signal 9"); a rank still running
  // then (stopped, hung) is killed and named.
  std::vector<std::string> wait(std::chrono::milliseconds grace, const std::vector<int>& accepted = {});

 private:
  DistributedEnv m_env;
  std::vector<pid_t> m_children;  // rank i + 1
};

// This program's command line after argv[0] (from /proc/self/cmdline), for the copies.
std::vector<std::string> own_arguments();

// `args` without the options named in `drop` (as "--name VALUE" or "--name=VALUE").
std::vector<std::string> without_options(const std::vector<std::string>& args,
                                         const std::vector<std::string>& drop);

// A TCP port on 127.0.0.1 free at the time of the call.
int free_loopback_port();

// This process's place in a data-parallel job, joined: the ranks --nproc started (if any) and the group
// (null for a single process).
struct JoinedRanks {
  std::unique_ptr<LocalRanks> local;
  std::unique_ptr<ProcessGroup> group;
  int threads = 0;  // this rank's CPU threads (0: every core)
};

// `--nproc N` (> 1) starts ranks 1 .. N-1 as copies of this command (without --nproc, with --threads
// split: max(1, threads / N), threads 0 meaning every core) and makes this process rank 0; without it,
// torchrun's or srun's variables (read_distributed_env) place this process (threads 0 then means the
// cores divided by LOCAL_WORLD_SIZE where torchrun sets it). Then the rendezvous, with
// `timeout_seconds` for it and every collective. `note` (may be null) gets one line about the ranks.
// Throws std::invalid_argument for --nproc under torchrun/srun or a bad environment, CollectiveError
// when the rendezvous fails.
JoinedRanks join_ranks(int nproc, int threads, double timeout_seconds, bool cuda, std::ostream* note);

}  // namespace zoolab
