// A .zbg bigram-count file (engine/text/bigram_counts.h): loaded whole, and looked up without loading.
#include <stdexcept>

#include "engine/text/bigram_counts.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = zoolab::fuzz::write_scratch_file(zoolab::fuzz::as_text(data, size), ".zbg");
  try {
    (void)zoolab::BigramCounts::load(path);
  } catch (const std::runtime_error&) {
  }
  try {
    (void)zoolab::BigramCounts::lookup(path, {{0, 0}, {1, 2}, {-1, 3}, {2147483647, 0}});
  } catch (const std::runtime_error&) {
  }
  return 0;
}
