#include "engine/worker/child_process.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace zoolab {

pid_t spawn_logged(const std::string& program, const std::vector<std::string>& args,
                   const std::string& log_path) {
  std::error_code ignored;
  const auto folder = std::filesystem::path(log_path).parent_path();
  if (!folder.empty()) {
    std::filesystem::create_directories(folder, ignored);
  }
  const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    throw std::runtime_error("cannot open the log " + log_path + ": " + std::strerror(errno));
  }
  // Everything the child needs is built before fork: only async-signal-safe calls happen after it.
  std::vector<char*> argv;
  for (const auto& arg : args) {
    argv.push_back(const_cast<char*>(arg.c_str()));
  }
  argv.push_back(nullptr);
  const std::string exec_failed = "zoolab worker: cannot execute " + program + ": ";

  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    ::close(log);
    throw std::runtime_error(std::string("cannot start a trainer process (fork): ") + std::strerror(error));
  }
  if (pid == 0) {
    ::signal(SIGPIPE, SIG_DFL);  // the worker ignores it; an ignored signal would stay ignored across exec
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
      ::dup2(devnull, STDIN_FILENO);
    }
    // The worker's database and log descriptors are not the trainer's business.
    if (::close_range(3, ~0U, 0) != 0) {
      for (int fd = 3; fd < 4096; ++fd) {
        ::close(fd);
      }
    }
    ::execv(program.c_str(), argv.data());
    const char* reason = std::strerror(errno);
    (void)!::write(STDERR_FILENO, exec_failed.data(), exec_failed.size());
    (void)!::write(STDERR_FILENO, reason, std::strlen(reason));
    (void)!::write(STDERR_FILENO, "\n", 1);
    ::_exit(127);
  }
  ::close(log);
  return pid;
}

std::optional<int> poll_child(pid_t pid) {
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      return status;
    }
    if (done == 0) {
      return std::nullopt;
    }
    if (errno == EINTR) {
      continue;
    }
    return 255 << 8;  // ECHILD: nothing left to wait for; WEXITSTATUS reads 255
  }
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) {
    return "exited with code " + std::to_string(WEXITSTATUS(status));
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    const char* name = strsignal(signal);
    return "was killed by signal " + std::to_string(signal) + " (" + (name ? name : "unknown") + ")";
  }
  return "ended with wait status " + std::to_string(status);
}

}  // namespace zoolab
