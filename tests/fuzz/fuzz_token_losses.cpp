// A per-token validation loss blob, ZTLS (engine/text/token_losses.h), as the store holds it.
#include <stdexcept>

#include "engine/text/token_losses.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)zoolab::decode_token_losses(std::string(zoolab::fuzz::as_text(data, size)));
  } catch (const std::runtime_error&) {
  }
  return 0;
}
