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

  // Waits for every started rank and returns one line per rank that did not exit with status 0 or with
  // one of `accepted` ("rank 1 (pid 4242) was killed by signal 9").
  std::vector<std::string> wait(const std::vector<int>& accepted = {});

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

}  // namespace zoolab
