#pragma once

#include <stdexcept>
#include <string>

namespace zoolab {

// A configuration value that cannot be used. `path()` is the JSON path of the offending field
// (e.g. "data.train[0].num_kv_pairs"), so the message can point the user at the exact line to fix.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string path, const std::string& message)
      : std::runtime_error(path.empty() ? message : path + ": " + message), m_path(std::move(path)) {}
  const std::string& path() const { return m_path; }

 private:
  std::string m_path;
};

}  // namespace zoolab
