#pragma once

// Child processes of the worker: started with fork/execv, their stdout and stderr appended to a log
// file, reaped without blocking (waitpid WNOHANG) so one loop can watch many of them without threads.

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace zoolab {

// Starts `program` with `args` (args[0] is what the child sees as its name), stdout and stderr appended
// to `log_path` (created with its folder). Returns the child's pid; throws std::runtime_error when the
// log cannot be opened or fork fails. A program that cannot be executed exits with code 127 after
// writing the reason to the log.
pid_t spawn_logged(const std::string& program, const std::vector<std::string>& args,
                   const std::string& log_path);

// The wait status of `pid` once it has ended (reaped now), std::nullopt while it still runs. A child
// that is already gone (reaped elsewhere: ECHILD) reads as exited with code 255.
std::optional<int> poll_child(pid_t pid);

// "exited with code 3", "was killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

}  // namespace zoolab
