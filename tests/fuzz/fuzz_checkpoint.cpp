// A training checkpoint's framing (engine/formats/checkpoint_format.h): magic, version, bounded header,
// CRC-32C, header fields. Each input is parsed twice: as it is (almost every mutation then fails the
// checksum), and with its last four bytes replaced by the right CRC-32C, so that the mutations also reach
// the header's parser and field checks behind the checksum.
#include "engine/formats/checkpoint_format.h"
#include "tests/fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes = zoolab::fuzz::as_text(data, size);
  try {
    (void)zoolab::parse_checkpoint(bytes, "fuzz.zlck");
  } catch (const zoolab::CheckpointError&) {
  }
  if (size >= 4) {
    const std::string_view body = bytes.substr(0, size - 4);
    const std::string resealed = std::string(body) + zoolab::encode_checkpoint_trailer(body, {});
    try {
      (void)zoolab::parse_checkpoint(resealed, "fuzz.zlck");
    } catch (const zoolab::CheckpointError&) {
    }
  }
  return 0;
}
