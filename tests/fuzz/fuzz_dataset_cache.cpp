// A cached MQAR segment, .zlds (engine/data/dataset_cache.h). The input is the file without its trailing
// CRC-32C, which the harness appends: otherwise nearly every input would stop at the checksum test.

#include <string>

#include "engine/data/dataset_cache.h"
#include "engine/formats/crc32c.h"
#include "engine/util/input_error.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(zoolab::fuzz::as_text(data, size));
  const uint32_t checksum = zoolab::crc32c(bytes);
  for (int i = 0; i < 4; ++i) {
    bytes.push_back(static_cast<char>((checksum >> (8 * i)) & 0xFF));
  }
  try {
    (void)zoolab::decode_dataset_file(bytes, "input.zlds");
  } catch (const zoolab::InputError&) {
  }
  return 0;
}
