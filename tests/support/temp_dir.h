#pragma once

// A fresh folder under the system temp dir for one test, removed with everything in it when the object
// dies. Header-only and torch-free, so every test program can use it.

#include <unistd.h>

#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>

namespace zoolab::test_support {

class TempDir {
 public:
  // The folder is named `prefix`-pid-random, made new here: tests that run at the same time (ctest -j,
  // two build folders) never share one.
  explicit TempDir(const std::string& prefix = "zoolab-test") {
    std::random_device device;
    for (int attempt = 0; attempt < 100; ++attempt) {
      const std::filesystem::path candidate =
          std::filesystem::temp_directory_path() /
          (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(device()));
      if (std::filesystem::create_directories(candidate)) {
        m_path = candidate;
        return;
      }
    }
    throw std::runtime_error("TempDir: no new folder under " +
                             std::filesystem::temp_directory_path().string() + " after 100 names starting " +
                             prefix);
  }
  ~TempDir() {
    std::error_code ignored;  // a destructor must not throw; a leftover folder only costs disk
    std::filesystem::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return m_path; }
  // The path of `name` inside the folder, as a string (what the engine's file APIs take).
  std::string file(const std::string& name) const { return (m_path / name).string(); }

 private:
  std::filesystem::path m_path;
};

}  // namespace zoolab::test_support
