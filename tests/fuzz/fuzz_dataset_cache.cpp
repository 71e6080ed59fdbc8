// A cached MQAR segment, .zlds (engine/data/dataset_cache.h). The input is the file without its trailing
// checksum, which the harness appends: otherwise nearly every input would stop at the checksum test.

#include "engine/data/dataset_cache.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(zoolab::fuzz::as_text(data, size));
  const uint64_t checksum = zoolab::fnv1a64(bytes.data(), bytes.size());
  for (int i = 0; i < 8; ++i) {
    bytes.push_back(static_cast<char>(checksum >> (8 * i) & 0xff));
  }
  // Documented to return false for any file that does not check out: it throws nothing.
  zoolab::TokenSegment segment;
  (void)zoolab::read_dataset_file(zoolab::fuzz::write_scratch_file(bytes, ".zlds"), &segment);
  return 0;
}
