// A run configuration file's text (engine/config/run_config.h), read as load_run_config_file reads it.
#include "engine/config/run_config.h"
#include "engine/util/strict_json.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)zoolab::parse_run_config(zoolab::parse_strict_json(zoolab::fuzz::as_text(data, size)));
  } catch (const zoolab::ConfigError&) {
  } catch (const zoolab::InputError&) {
  }
  return 0;
}
