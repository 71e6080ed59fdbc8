#include "engine/train/distributed.h"

#include <chrono>
#include <cstdlib>
#include <thread>

#ifdef ZOOLAB_HAVE_C10D
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>

#include "engine/train/distributed_backend.h"
#endif

namespace zoolab {

namespace {

// ---- the environment -------------------------------------------------------------------------------

// A whole decimal integer in [min, max], else std::invalid_argument naming the variable and value.
int parse_env_int(const char* name, const char* value, int min, int max, const std::string& meaning) {
  const std::string text = value;
  bool digits = !text.empty() && text.size() <= 9;
  for (const char c : text) {
    digits = digits && c >= '0' && c <= '9';
  }
  const long parsed = digits ? std::strtol(text.c_str(), nullptr, 10) : -1;
  if (!digits || parsed < min || parsed > max) {
    throw std::invalid_argument(std::string(name) + "=\"" + text + "\": expected an integer from " +
                                std::to_string(min) + " to " + std::to_string(max) + " (" + meaning + ")");
  }
  return static_cast<int>(parsed);
}

const char* required(const std::function<const char*(const char*)>& lookup, const char* name,
                     const std::string& how) {
  const char* value = lookup(name);
  if (value == nullptr || *value == '\0') {
    throw std::invalid_argument(std::string(name) + " is not set: " + how);
  }
  return value;
}

// MASTER_ADDR and MASTER_PORT, which both launchers need for the rendezvous.
void read_master(const std::function<const char*(const char*)>& lookup, DistributedEnv& env,
                 const std::string& how_addr) {
  env.master_addr = required(lookup, "MASTER_ADDR", how_addr);
  env.master_port = parse_env_int(
      "MASTER_PORT",
      required(lookup, "MASTER_PORT", "set it to a free TCP port on the MASTER_ADDR host, e.g. 29500"), 1,
      65535, "the TCP port rank 0 listens on for the rendezvous");
}

}  // namespace

DistributedEnv read_distributed_env(const std::function<const char*(const char*)>& lookup) {
  DistributedEnv env;
  if (lookup("WORLD_SIZE") != nullptr) {  // torchrun, or any launcher that sets PyTorch's variables
    env.source = "torchrun";
    env.world_size = parse_env_int("WORLD_SIZE", lookup("WORLD_SIZE"), 1, 1 << 20, "the number of ranks");
    const std::string world = std::to_string(env.world_size);
    env.rank = parse_env_int("RANK", required(lookup, "RANK", "WORLD_SIZE is set, so RANK must be too"), 0,
                             env.world_size - 1, "this process's rank, below WORLD_SIZE=" + world);
    const char* local = lookup("LOCAL_RANK");
    env.local_rank = local != nullptr ? parse_env_int("LOCAL_RANK", local, 0, env.world_size - 1,
                                                      "this process's rank on its machine")
                                      : env.rank;
    if (env.distributed()) {
      read_master(lookup, env, "set it to the host name or address of rank 0's machine");
    }
    return env;
  }
  if (lookup("SLURM_NTASKS") != nullptr && lookup("SLURM_PROCID") != nullptr) {  // srun
    env.source = "slurm";
    env.world_size =
        parse_env_int("SLURM_NTASKS", lookup("SLURM_NTASKS"), 1, 1 << 20, "the number of tasks of the step");
    env.rank = parse_env_int("SLURM_PROCID", lookup("SLURM_PROCID"), 0, env.world_size - 1,
                             "this task's rank, below SLURM_NTASKS=" + std::to_string(env.world_size));
    const char* local = lookup("SLURM_LOCALID");
    env.local_rank = local != nullptr ? parse_env_int("SLURM_LOCALID", local, 0, env.world_size - 1,
                                                      "this task's rank on its node")
                                      : 0;
    if (env.distributed()) {
      read_master(lookup, env,
                  "under SLURM set it to the job's first node before srun, e.g. "
                  "`export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -1)`");
    }
    return env;
  }
  return env;
}

DistributedEnv read_distributed_env() {
  return read_distributed_env([](const char* name) -> const char* { return std::getenv(name); });
}

// ---- the group ---------------------------------------------------------------------------------------

#ifdef ZOOLAB_HAVE_C10D

namespace {

std::string failure_key(int rank) {
  return "zoolab/stopped/" + std::to_string(rank);
}

std::vector<uint8_t> bytes_of(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::string error_text(const std::exception& error) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&error)) {
    return c10_error->what_without_backtrace();
  }
  return error.what();
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// The Gloo transport device: the interface GLOO_SOCKET_IFNAME names (as PyTorch reads it), loopback for
// a single-machine job, else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const DistributedEnv& env) {
  if (const char* interface = std::getenv("GLOO_SOCKET_IFNAME"); interface != nullptr && *interface != '\0') {
    return c10d::ProcessGroupGloo::createDeviceForInterface(interface);
  }
  if (is_loopback(env.master_addr)) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

c10::intrusive_ptr<c10d::Work> ProcessGroup::Impl::start_all_reduce(at::Tensor& tensor) {
  std::vector<at::Tensor> tensors{tensor};
  c10d::AllreduceOptions options;
  options.reduceOp = c10d::ReduceOp::SUM;
  options.timeout = timeout;
#ifdef USE_C10D_NCCL
  if (tensor.is_cuda() && nccl) {
    return nccl->allreduce(tensors, options);
  }
#endif
  return gloo->allreduce(tensors, options);
}

c10::intrusive_ptr<c10d::Work> ProcessGroup::Impl::start_broadcast(at::Tensor& tensor) {
  std::vector<at::Tensor> tensors{tensor};
  c10d::BroadcastOptions options;
  options.rootRank = 0;
  options.rootTensor = 0;
  options.timeout = timeout;
#ifdef USE_C10D_NCCL
  if (tensor.is_cuda() && nccl) {
    return nccl->broadcast(tensors, options);
  }
#endif
  return gloo->broadcast(tensors, options);
}

void ProcessGroup::Impl::check_open(const std::string& what) const {
  if (!gloo) {
    throw CollectiveError(what + ": the process group of rank " + std::to_string(env.rank) +
                          " was already shut down after an earlier failure");
  }
}

void ProcessGroup::Impl::wait(const c10::intrusive_ptr<c10d::Work>& work, const std::string& what) {
  try {
    if (!work->wait(timeout)) {
      throw std::runtime_error("no answer within " + std::to_string(timeout.count() / 1000) + " s");
    }
  } catch (const std::exception& error) {
    throw CollectiveError(owner->describe_failure(what, error_text(error)));
  }
}

ProcessGroup::ProcessGroup(const ProcessGroupOptions& options) : m_impl(std::make_unique<Impl>()) {
  auto& impl = *m_impl;
  impl.env = options.env;
  impl.timeout = options.timeout;
  impl.owner = this;
  const auto& env = impl.env;
  const std::string where = env.master_addr + ":" + std::to_string(env.master_port);
  try {
    c10d::TCPStoreOptions store_options;
    store_options.port = static_cast<uint16_t>(env.master_port);
    store_options.isServer = env.rank == 0;
    store_options.numWorkers = static_cast<size_t>(env.world_size);
    store_options.waitWorkers = true;
    store_options.timeout = options.timeout;
    impl.store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, store_options);
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(options.timeout);
    gloo_options->devices.push_back(gloo_device(env));
    impl.gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(
        c10::make_intrusive<c10d::PrefixStore>("gloo", impl.store), env.rank, env.world_size, gloo_options);
#ifdef USE_C10D_NCCL
    if (options.cuda) {
      auto nccl_options = c10d::ProcessGroupNCCL::Options::create();
      nccl_options->timeout = options.timeout;
      impl.nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(
          c10::make_intrusive<c10d::PrefixStore>("nccl", impl.store), env.rank, env.world_size, nccl_options);
    }
#endif
  } catch (const std::exception& error) {
    throw CollectiveError("rendezvous of " + std::to_string(env.world_size) + " ranks at " + where +
                          " failed on rank " + std::to_string(env.rank) + " within " +
                          std::to_string(options.timeout.count() / 1000) + " s (is every rank started, " +
                          "with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE?): " + error_text(error));
  }
}

ProcessGroup::~ProcessGroup() = default;

int ProcessGroup::rank() const {
  return m_impl->env.rank;
}
int ProcessGroup::world_size() const {
  return m_impl->env.world_size;
}
int ProcessGroup::local_rank() const {
  return m_impl->env.local_rank;
}
std::chrono::milliseconds ProcessGroup::timeout() const {
  return m_impl->timeout;
}

std::vector<double> ProcessGroup::all_reduce_sum(const std::vector<double>& values, const std::string& what) {
  m_impl->check_open(what);
  auto tensor = torch::tensor(values, torch::kDouble);  // (n,)
  m_impl->wait(m_impl->start_all_reduce(tensor), what);
  return std::vector<double>(tensor.data_ptr<double>(), tensor.data_ptr<double>() + tensor.numel());
}

std::string ProcessGroup::broadcast_text(const std::string& key, const std::string& text) {
  auto& store = *m_impl->store;
  const std::string full = "zoolab/text/" + key;
  try {
    if (rank() == 0) {
      store.set(full, bytes_of(text));
      return text;
    }
    store.wait({full}, m_impl->timeout);
    const auto bytes = store.get(full);
    return std::string(bytes.begin(), bytes.end());
  } catch (const std::exception& error) {
    throw CollectiveError(describe_failure("receiving " + key + " from rank 0", error_text(error)));
  }
}

void ProcessGroup::abort(const std::string& reason, bool caused_by_peer) noexcept {
  try {
    m_impl->store->set(failure_key(rank()), bytes_of((caused_by_peer ? "S" : "P") + reason));
  } catch (...) {  // the store lives on rank 0, which may be gone: the peers then see no reason
  }
  try {
    m_impl->gloo.reset();  // closes this rank's connections: peers blocked on it fail now
#ifdef USE_C10D_NCCL
    m_impl->nccl.reset();
#endif
  } catch (...) {
  }
}

std::string ProcessGroup::describe_failure(const std::string& what, const std::string& error) noexcept {
  std::string text =
      what + " failed on rank " + std::to_string(rank()) + " of " + std::to_string(world_size());
  try {
    // A peer that stopped on an error leaves its reason just before closing its connections: give the
    // reasons a moment to arrive.
    auto& store = *m_impl->store;
    std::vector<std::string> reasons(static_cast<size_t>(world_size()));
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
    for (;;) {
      bool all = true;
      for (int r = 0; r < world_size(); ++r) {
        if (r != rank() && reasons[static_cast<size_t>(r)].empty()) {
          if (store.check({failure_key(r)})) {
            const auto bytes = store.get(failure_key(r));
            reasons[static_cast<size_t>(r)] = std::string(bytes.begin(), bytes.end());
          } else {
            all = false;
          }
        }
      }
      if (all || std::chrono::steady_clock::now() > deadline) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::string silent;
    for (int r = 0; r < world_size(); ++r) {
      const auto& reason = reasons[static_cast<size_t>(r)];
      if (r == rank()) {
        continue;
      }
      if (reason.empty()) {
        silent += (silent.empty() ? "" : ", ") + std::to_string(r);
      } else if (reason[0] == 'P') {
        text += "; rank " + std::to_string(r) + " stopped: " + reason.substr(1);
      }
    }
    if (!silent.empty()) {
      text += "; rank(s) " + silent + " left no reason (killed, crashed, or hung past the " +
              std::to_string(m_impl->timeout.count() / 1000) + " s collective timeout)";
    }
  } catch (const std::exception&) {
    text += "; the rendezvous store on rank 0 is unreachable (rank 0 stopped)";
  }
  return text + " [" + error + "]";
}

#else  // built without Gloo's headers: a single process only

struct ProcessGroup::Impl {};

ProcessGroup::ProcessGroup(const ProcessGroupOptions& /*options*/) {
  throw std::runtime_error(
      "training on several processes needs LibTorch's c10d with Gloo, and this build found no Gloo headers "
      "(gloo/context.h): install them (Debian: libgloo-dev) and configure the build again");
}
ProcessGroup::~ProcessGroup() = default;
int ProcessGroup::rank() const {
  return 0;
}
int ProcessGroup::world_size() const {
  return 1;
}
int ProcessGroup::local_rank() const {
  return 0;
}
std::chrono::milliseconds ProcessGroup::timeout() const {
  return {};
}
std::vector<double> ProcessGroup::all_reduce_sum(const std::vector<double>& values, const std::string&) {
  return values;
}
std::string ProcessGroup::broadcast_text(const std::string&, const std::string& text) {
  return text;
}
void ProcessGroup::abort(const std::string&, bool) noexcept {}
std::string ProcessGroup::describe_failure(const std::string& what, const std::string& error) noexcept {
  return what + ": " + error;
}

#endif  // ZOOLAB_HAVE_C10D

}  // namespace zoolab
