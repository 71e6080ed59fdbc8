// The header of the text pipeline's binary files (engine/text/file_header.h), as a token shard's.
#include <stdexcept>

#include "engine/text/file_header.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)zoolab::decode_file_header(reinterpret_cast<const char*>(data), size, "ZTOK", 1, "input.ztok",
                                     "token shard");
  } catch (const std::runtime_error&) {
  }
  return 0;
}
