// A sweep file's text (engine/config/sweep_file.h): parsed and expanded into its points.
#include "engine/config/sweep_file.h"
#include "engine/util/strict_json.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)zoolab::parse_sweep(zoolab::parse_strict_json(zoolab::fuzz::as_text(data, size)));
  } catch (const zoolab::ConfigError&) {
  } catch (const zoolab::InputError&) {
  }
  return 0;
}
