#include "tests/fuzz/fuzz_support.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <system_error>

namespace zoolab::fuzz {

namespace {

std::string& scratch_folder() {
  static std::string folder;
  return folder;
}

void remove_scratch_folder() {
  std::error_code ignored;
  std::filesystem::remove_all(scratch_folder(), ignored);
}

}  // namespace

std::string write_scratch_file(std::string_view bytes, const std::string& suffix) {
  std::string& folder = scratch_folder();
  if (folder.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/zoolab-fuzz-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      throw std::logic_error("fuzz: cannot create a scratch folder " + pattern);  // not a parser's error
    }
    folder = pattern;
    std::atexit(remove_scratch_folder);
  }
  const std::string path = folder + "/input" + suffix;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) {
    throw std::logic_error("fuzz: cannot create " + path);
  }
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  if (std::fclose(file) != 0 || !written) {
    throw std::logic_error("fuzz: cannot write " + path);
  }
  return path;
}

}  // namespace zoolab::fuzz

// Runs once before the first input. The memory budget (engine/util/memory_budget.h) must refuse an input's
// size claims before libFuzzer's own allocation limit (-malloc_limit_mb, 2048 MB by default) sees them, or a
// correctly refused claim would be reported as a crash; a caller's own ZOOLAB_MEMORY_LIMIT wins.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  setenv("ZOOLAB_MEMORY_LIMIT", "1G", /*overwrite=*/0);
  return 0;
}
