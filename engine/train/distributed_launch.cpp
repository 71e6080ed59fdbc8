#include "engine/train/distributed_launch.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <thread>

#include "engine/worker/child_process.h"

extern char** environ;

namespace zoolab {

std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  while (start < all.size()) {
    const size_t end = all.find('\0', start);
    args.push_back(all.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  if (!args.empty()) {
    args.erase(args.begin());
  }
  return args;
}

std::vector<std::string> without_options(const std::vector<std::string>& args,
                                         const std::vector<std::string>& drop) {
  std::vector<std::string> kept;
  for (size_t i = 0; i < args.size(); ++i) {
    bool dropped = false;
    for (const auto& name : drop) {
      if (args[i] == name) {
        ++i;  // and its value
        dropped = true;
        break;
      }
      if (args[i].rfind(name + "=", 0) == 0) {
        dropped = true;
        break;
      }
    }
    if (!dropped) {
      kept.push_back(args[i]);
    }
  }
  return kept;
}

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    throw std::runtime_error(std::string("--nproc: cannot open a socket to find a free port: ") +
                             std::strerror(errno));
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  close(fd);
  if (!ok) {
    throw std::runtime_error(std::string("--nproc: cannot find a free loopback port: ") +
                             std::strerror(errno));
  }
  return ntohs(address.sin_port);
}

namespace {

// "rank 1 (pid 4242) was killed by signal 9 (Killed)", in the worker's words for a child's end.
std::string describe_rank_end(int rank, pid_t pid, int status) {
  return "rank " + std::to_string(rank) + " (pid " + std::to_string(pid) + ") " +
         describe_wait_status(status);
}

}  // namespace

LocalRanks::LocalRanks(int nproc, const std::vector<std::string>& args) {
  m_env.rank = 0;
  m_env.world_size = nproc;
  m_env.local_rank = 0;
  m_env.master_addr = "127.0.0.1";
  m_env.master_port = free_loopback_port();
  m_env.source = "--nproc";
  // Everything the child needs is built before fork: after it only async-signal-safe calls are allowed
  // (torch's thread pools live in this process).
  std::vector<std::string> variables;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text = *entry;
    const auto name = text.substr(0, text.find('='));
    if (name != "RANK" && name != "WORLD_SIZE" && name != "LOCAL_RANK" && name != "LOCAL_WORLD_SIZE" &&
        name != "MASTER_ADDR" && name != "MASTER_PORT") {
      variables.push_back(text);
    }
  }
  const std::string common_world = "WORLD_SIZE=" + std::to_string(nproc);
  const std::string common_local_world = "LOCAL_WORLD_SIZE=" + std::to_string(nproc);
  const std::string common_addr = "MASTER_ADDR=" + m_env.master_addr;
  const std::string common_port = "MASTER_PORT=" + std::to_string(m_env.master_port);
  std::vector<std::string> argv_text{"/proc/self/exe"};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& text : argv_text) {
    argv.push_back(text.data());
  }
  argv.push_back(nullptr);
  std::string self(4096, '\0');
  const ssize_t self_length = readlink("/proc/self/exe", self.data(), self.size() - 1);
  if (self_length <= 0) {
    throw std::runtime_error("--nproc: cannot read /proc/self/exe to start the other ranks");
  }
  self.resize(static_cast<size_t>(self_length));
  const pid_t parent = getpid();
  for (int rank = 1; rank < nproc; ++rank) {
    std::vector<std::string> own = variables;
    own.insert(own.end(), {"RANK=" + std::to_string(rank), "LOCAL_RANK=" + std::to_string(rank), common_world,
                           common_local_world, common_addr, common_port});
    std::vector<char*> envp;
    for (auto& text : own) {
      envp.push_back(text.data());
    }
    envp.push_back(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
      throw std::runtime_error("--nproc: cannot start rank " + std::to_string(rank) + ": " +
                               std::strerror(errno));
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);  // no orphan ranks: die with rank 0
      if (getppid() != parent) {
        _exit(1);
      }
      execve(self.c_str(), argv.data(), envp.data());
      _exit(127);
    }
    m_children.push_back(pid);
  }
  // This process is rank 0 of the same job (read_distributed_env() now sees it too).
  setenv("RANK", "0", 1);
  setenv("LOCAL_RANK", "0", 1);
  setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
  setenv("MASTER_ADDR", m_env.master_addr.c_str(), 1);
  setenv("MASTER_PORT", std::to_string(m_env.master_port).c_str(), 1);
}

std::vector<std::string> LocalRanks::wait(std::chrono::milliseconds grace, const std::vector<int>& accepted) {
  std::vector<std::string> failures;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  for (size_t i = 0; i < m_children.size(); ++i) {
    pid_t& pid = m_children[i];
    const int rank = static_cast<int>(i) + 1;
    int status = 0;
    while (pid > 0) {
      if (const auto ended = poll_child(pid)) {  // engine/worker/child_process.h: reaped, or already gone
        status = *ended;
        const bool ok = WIFEXITED(status) &&
                        (WEXITSTATUS(status) == 0 ||
                         std::find(accepted.begin(), accepted.end(), WEXITSTATUS(status)) != accepted.end());
        if (!ok) {
          failures.push_back(describe_rank_end(rank, pid, status));
        }
        pid = 0;
      } else if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        failures.push_back("rank " + std::to_string(rank) + " (pid " + std::to_string(pid) +
                           ") was still running " + std::to_string(grace.count() / 1000) +
                           " s after rank 0 stopped (hung or stopped) and was killed");
        pid = 0;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
  return failures;
}

LocalRanks::~LocalRanks() {
  bool any = false;
  for (const pid_t pid : m_children) {
    if (pid > 0) {
      kill(pid, SIGTERM);
      any = true;
    }
  }
  if (!any) {
    return;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  for (pid_t& pid : m_children) {
    while (pid > 0) {
      int status = 0;
      const pid_t done = waitpid(pid, &status, WNOHANG);
      if (done == pid || (done < 0 && errno != EINTR)) {
        pid = 0;
      } else if (std::chrono::steady_clock::now() > deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        pid = 0;
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
  }
}

JoinedRanks join_ranks(int nproc, int threads, double timeout_seconds, bool cuda, std::ostream* note) {
  JoinedRanks ranks;
  ranks.threads = threads;
  auto env = read_distributed_env();
  if (nproc > 1) {
    if (env.distributed()) {
      throw std::invalid_argument("--nproc " + std::to_string(nproc) + ": this process already is rank " +
                                  std::to_string(env.rank) + " of " + std::to_string(env.world_size) +
                                  " (set by " + env.source + "); leave --nproc out under torchrun or srun");
    }
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    ranks.threads = std::max(1, (threads > 0 ? threads : cores) / nproc);
    auto args = without_options(own_arguments(), {"--nproc", "--threads"});
    args.insert(args.end(), {"--threads", std::to_string(ranks.threads)});
    ranks.local = std::make_unique<LocalRanks>(nproc, args);
    env = ranks.local->env();
    if (note != nullptr) {
      *note << nproc << " ranks on this machine, " << ranks.threads << " thread(s) each (rendezvous "
            << env.master_addr << ":" << env.master_port << ")" << std::endl;
    }
  }
  if (env.distributed() && ranks.threads == 0) {
    // torchrun says how many ranks share this machine: its cores are split among them, not each given all.
    if (const char* local = std::getenv("LOCAL_WORLD_SIZE"); local != nullptr) {
      const int sharing = std::max(1, std::atoi(local));
      const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
      ranks.threads = std::max(1, cores / sharing);
    }
  }
  if (env.distributed()) {
    ProcessGroupOptions options;
    options.env = env;
    options.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000.0));
    options.cuda = cuda;
    ranks.group = std::make_unique<ProcessGroup>(options);
  }
  return ranks;
}

}  // namespace zoolab
