// `--set PATH=VALUE` (engine/config/config_overrides.h): each line of the input is one assignment, applied
// to the mqar-quick preset.
#include <algorithm>
#include <string>
#include <vector>

#include "engine/config/config_overrides.h"
#include "engine/config/presets.h"
#include "engine/util/input_error.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const zoolab::RunConfig base = zoolab::load_preset("mqar-quick");
  const std::string_view text = zoolab::fuzz::as_text(data, size);
  std::vector<std::string> assignments;
  for (size_t start = 0; start <= text.size();) {
    const size_t end = std::min(text.find('\n', start), text.size());
    assignments.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  try {
    (void)zoolab::with_overrides(base, assignments);
  } catch (const zoolab::ConfigError&) {
  } catch (const zoolab::InputError&) {
  }
  return 0;
}
