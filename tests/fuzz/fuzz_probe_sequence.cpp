// The Probe page's sequence syntax (engine/inspect/probe_sequence.h). It reports problems as data, never
// by throwing, and keeps tokens and labels in step.
#include <cstdlib>

#include "engine/inspect/probe_sequence.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const zoolab::ProbeSequence parsed = zoolab::parse_probe_sequence(zoolab::fuzz::as_text(data, size));
  const bool consistent = parsed.tokens.size() == parsed.labels.size() &&
                          (!parsed.error || parsed.tokens.empty()) &&
                          (parsed.error ? !zoolab::probe_sequence_message(parsed.error).empty()
                                        : zoolab::probe_sequence_message(parsed.error).empty());
  if (!consistent) {
    std::abort();
  }
  return 0;
}
