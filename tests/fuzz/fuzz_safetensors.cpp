// A safetensors file's header and layout (engine/formats/safetensors_header.h): header length, strict
// JSON, dtypes, shape products, data offsets against the file's size.
#include "engine/formats/safetensors_header.h"
#include "engine/util/input_error.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)zoolab::parse_safetensors(zoolab::fuzz::as_text(data, size), "fuzz.safetensors");
  } catch (const zoolab::InputError&) {
  }
  return 0;
}
