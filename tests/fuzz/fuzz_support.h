#pragma once

// What the harnesses share. Each harness is one LLVMFuzzerTestOneInput that hands the input to one parser
// and catches only the exceptions that parser documents: anything else (another exception type, a
// signal, a sanitizer report, a leak, an allocation past libFuzzer's -malloc_limit_mb) is a finding.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace zoolab::fuzz {

// The input as text (bytes as they are, possibly invalid UTF-8 or with NULs).
inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Writes `bytes` to this process's scratch file whose name ends in `suffix` (".ztok", ".jsonl.zst"), for
// the parsers that take a path, and returns the path. The file is rewritten by the next call with the same
// suffix; the scratch folder (under $TMPDIR) is removed when the process exits normally.
std::string write_scratch_file(std::string_view bytes, const std::string& suffix);

}  // namespace zoolab::fuzz
