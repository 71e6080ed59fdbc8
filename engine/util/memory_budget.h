#pragma once

// "Estimate, then allocate": every buffer whose size comes from input is estimated with CheckedSize
// first and compared with the memory this process may use, so a 2 KB file can never ask for 3 GB. The
// machine has no swap: an allocation past physical memory kills the process (or the whole session)
// instead of failing cleanly.

#include <cstdint>
#include <optional>
#include <string>

#include "engine/util/checked_size.h"

namespace zoolab {

// The most one allocation sized by input may take: $ZOOLAB_MEMORY_LIMIT (bytes, or with a K/M/G/T
// suffix) when set, else 80% of this machine's physical memory.
uint64_t memory_limit_bytes();

// "1.5 GiB", "320 MiB", "12 bytes".
std::string format_bytes(uint64_t bytes);

// Empty when `bytes` fits under memory_limit_bytes(); else why not, as a phrase for an error message:
// "needs about 3.1 GiB, more than the limit of 18.7 GiB (80% of this machine's memory; set
// ZOOLAB_MEMORY_LIMIT to change it)". An invalid size (overflow) reads "needs more than 2^64 bytes".
std::optional<std::string> memory_shortfall(CheckedSize bytes);

}  // namespace zoolab
