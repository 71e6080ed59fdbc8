#include "engine/worker/trainer_process.h"

#include <signal.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "engine/store/store.h"

namespace zoolab {

bool is_trainer_process(int64_t pid) {
  if (!process_alive(pid)) {
    return false;
  }
  std::ifstream file("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::vector<std::string> argv;  // NUL-separated
  for (size_t start = 0; start < text.size();) {
    const size_t end = text.find('\0', start);
    argv.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end == std::string::npos ? text.size() : end + 1;
  }
  if (argv.size() < 2) {
    return false;
  }
  const std::string program = argv[0].substr(argv[0].find_last_of('/') + 1);
  return program.find("zoolab") != std::string::npos && (argv[1] == "train" || argv[1] == "resume");
}

bool terminate_trainer(int64_t pid) {
  return is_trainer_process(pid) && kill(static_cast<pid_t>(pid), SIGTERM) == 0;
}

}  // namespace zoolab
