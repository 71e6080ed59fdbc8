#pragma once

// Shared helpers of the config editor tests: the hand-written fixtures in tests/views/fixtures/ and a
// wait that lets debounced timers fire.

#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include <QElapsedTimer>
#include <QTest>

#include <nlohmann/json.hpp>

namespace zoolab::test {

inline nlohmann::json loadFixture(const std::string& name) {
  std::ifstream in(std::string(ZOOLAB_SOURCE_DIR) + "/tests/views/fixtures/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

inline const nlohmann::json& fixtureSpec(const nlohmann::json& registry, const std::string& name) {
  for (const auto& spec : registry) {
    if (spec["name"] == name)
      return spec;
  }
  throw std::runtime_error("no fixture mixer " + name);
}

// Processes events until `done` holds or `ms` pass; returns done().
inline bool waitFor(const std::function<bool()>& done, int ms = 2000) {
  QElapsedTimer clock;
  clock.start();
  while (!done() && clock.elapsed() < ms)
    QTest::qWait(10);
  return done();
}

}  // namespace zoolab::test
