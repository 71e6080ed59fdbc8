// A per-query evaluation record blob, ZQRS (engine/inspect/query_records.h), as the store holds it.
#include <stdexcept>

#include "engine/inspect/query_records.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)zoolab::decode_query_records(std::string(zoolab::fuzz::as_text(data, size)));
  } catch (const std::runtime_error&) {
  }
  return 0;
}
