#pragma once

// Helpers shared by the configuration tests (MQAR and text).

#include <gtest/gtest.h>

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

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace zoolab::config_test
