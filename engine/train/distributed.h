#pragma once

// Several training processes (ranks) on PyTorch's distributed runtime, c10d: a TCPStore rendezvous and a
// Gloo process group (NCCL for CUDA tensors where LibTorch was built with it). This header holds what
// needs no torch: where a rank is (read from the environment the way torchrun and SLURM set it), and the
// group's handle with its small collectives (scalars, strings); the tensor collectives of data-parallel
// training are engine/train/distributed_tensors.h.
//
// Every collective has a timeout (c10d's, per operation); one that fails or times out (a rank died, hung
// or stopped on an error) throws CollectiveError naming the operation and the rank(s) that went missing.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace zoolab {

// Where this process is in the job. world_size 1: a single process (no group).
struct DistributedEnv {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr;  // the rendezvous host (rank 0's TCPStore)
  int master_port = 0;
  std::string source;  // "torchrun" (RANK/WORLD_SIZE), "slurm" (SLURM_PROCID/SLURM_NTASKS) or "" (single)
  bool distributed() const { return world_size > 1; }
};

// Reads RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT (torchrun's), or, without WORLD_SIZE,
// SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID (srun's) with MASTER_ADDR and MASTER_PORT. Neither set:
// a single process. Throws std::invalid_argument naming the variable and its value when one is missing,
// not an integer or out of range. `lookup` returns a variable's value or nullptr (std::getenv).
DistributedEnv read_distributed_env(const std::function<const char*(const char*)>& lookup);
DistributedEnv read_distributed_env();

// A collective (or the rendezvous) failed: a rank is gone, hung past the timeout or stopped on an error.
// The run it happened in is interrupted, not failed: `zoolab-cli resume` continues it from its checkpoint.
class CollectiveError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ProcessGroupOptions {
  DistributedEnv env;
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // every collective, and the rendezvous
  bool cuda = false;  // tensors live on the GPU: NCCL where this LibTorch has it
};

// The default per-collective timeout, in seconds (`--collective-timeout`).
inline constexpr double kDefaultCollectiveTimeoutSeconds = 300.0;

// One c10d process group. Constructing it is the rendezvous: rank 0 listens on MASTER_PORT, every rank
// connects and waits until all world_size ranks have (within the timeout). Collectives must be called in
// the same order on every rank.
class ProcessGroup {
 public:
  explicit ProcessGroup(const ProcessGroupOptions& options);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  int rank() const;
  int world_size() const;
  int local_rank() const;  // the rank on this machine: the GPU a CUDA rank uses
  std::chrono::milliseconds timeout() const;

  // Element-wise sum over the ranks, in double precision. `what` names the operation in errors.
  std::vector<double> all_reduce_sum(const std::vector<double>& values, const std::string& what);
  // Rank 0's `text` on every rank (through the rendezvous store: small values, such as a run's
  // configuration). Other ranks pass anything and wait for it up to the timeout.
  std::string broadcast_text(const std::string& key, const std::string& text);

  // Tells the other ranks why this one stops (they name it in their errors), then closes this rank's
  // connections so that a peer blocked in a collective fails now rather than at its timeout. Never throws;
  // the group is unusable afterwards. `caused_by_peer`: this rank only saw another one fail (its errors
  // then name that one, not this).
  void abort(const std::string& reason, bool caused_by_peer = false) noexcept;

  // The error of a failed collective: what failed, where, and which ranks stopped (from the reasons they
  // left in the store; a rank that left none was killed or hung).
  std::string describe_failure(const std::string& what, const std::string& error) noexcept;

  struct Impl;
  Impl& impl() { return *m_impl; }

 private:
  std::unique_ptr<Impl> m_impl;
};

}  // namespace zoolab
