// Strict JSON (engine/util/strict_json.h), the parser every JSON from outside goes through.
#include "engine/util/strict_json.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    // dump() walks the whole tree: the depth limit must keep a parsed document off the stack's end too.
    (void)zoolab::parse_strict_json(zoolab::fuzz::as_text(data, size)).dump();
  } catch (const zoolab::JsonSyntaxError&) {
  }
  return 0;
}
