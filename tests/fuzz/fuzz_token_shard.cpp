// A .ztok token shard (engine/text/token_shards.h): opened, then its first tokens read.
#include <algorithm>
#include <stdexcept>

#include "engine/text/token_shards.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = zoolab::fuzz::write_scratch_file(zoolab::fuzz::as_text(data, size), ".ztok");
  try {
    const zoolab::TokenShard shard(path);
    int64_t tokens[64];
    shard.read(0, std::min<int64_t>(shard.size(), 64), tokens);
  } catch (const std::runtime_error&) {
  }
  return 0;
}
