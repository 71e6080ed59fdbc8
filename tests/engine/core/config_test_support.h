#pragma once

// Helpers shared by the configuration tests (MQAR and text).

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"

namespace zoolab::config_test {

// The ConfigError thrown by parsing `j` (fails the test if none is thrown).
inline ConfigError parse_error(const nlohmann::json& j) {
  try {
    parse_run_config(j);
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "no ConfigError for " << j.dump();
  return ConfigError("", "");
}

// The smallest valid MQAR config: one train and one test segment, everything else defaulted.
inline nlohmann::json minimal_config() {
  return nlohmann::json::parse(
      R"({"data": {"train": [{"num_kv_pairs": 4}], "test": [{"num_kv_pairs": 4}]}})");
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Sets ZOOLAB_MEMORY_LIMIT for one test, so that memory refusals do not depend on this machine.
class MemoryLimit {
 public:
  explicit MemoryLimit(const char* limit) {
    if (const char* old = std::getenv("ZOOLAB_MEMORY_LIMIT")) {
      m_old = old;
    }
    setenv("ZOOLAB_MEMORY_LIMIT", limit, 1);
  }
  ~MemoryLimit() {
    if (m_old) {
      setenv("ZOOLAB_MEMORY_LIMIT", m_old->c_str(), 1);
    } else {
      unsetenv("ZOOLAB_MEMORY_LIMIT");
    }
  }
  MemoryLimit(const MemoryLimit&) = delete;
  MemoryLimit& operator=(const MemoryLimit&) = delete;

 private:
  std::optional<std::string> m_old;
};

}  // namespace zoolab::config_test
