// The header of the text pipeline's binary files (engine/text/file_header.h), as a format that still
// reads version 1 would decode it (so both prefixes are explored). Each input is decoded as it is, and
// with both CRC-32C fields recomputed, so that mutations also reach the length checks and the JSON parser
// behind the checksums.
#include <string>

#include "engine/formats/crc32c.h"
#include "engine/text/file_header.h"
#include "engine/util/input_error.h"
#include "tests/fuzz/fuzz_support.h"

namespace {

constexpr zoolab::FileFormat kFormat{"ZTOK", 2, "token shard", /*reads_version_1=*/true, "regenerate it"};

void decode(std::string_view bytes) {
  try {
    (void)zoolab::decode_file_header(bytes, kFormat, "input.ztok");
  } catch (const zoolab::InputError&) {
  }
}

void put_u32(std::string& bytes, size_t offset, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    bytes[offset + i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = zoolab::fuzz::as_text(data, size);
  decode(input);
  // Reseal: prefix magic | version | H | crc(header) | crc(data), then H bytes of header, then data.
  if (size >= zoolab::kFileHeaderPrefixBytes) {
    std::string bytes(input);
    const uint32_t declared = static_cast<uint32_t>(static_cast<unsigned char>(bytes[8])) |
                              static_cast<uint32_t>(static_cast<unsigned char>(bytes[9])) << 8 |
                              static_cast<uint32_t>(static_cast<unsigned char>(bytes[10])) << 16 |
                              static_cast<uint32_t>(static_cast<unsigned char>(bytes[11])) << 24;
    const size_t body = bytes.size() - zoolab::kFileHeaderPrefixBytes;
    const size_t header = std::min<size_t>(declared, body);
    const std::string_view json = std::string_view(bytes).substr(zoolab::kFileHeaderPrefixBytes, header);
    const std::string_view rest = std::string_view(bytes).substr(zoolab::kFileHeaderPrefixBytes + header);
    const uint32_t header_crc = zoolab::crc32c(json);
    const uint32_t data_crc = zoolab::crc32c(rest);
    put_u32(bytes, 12, header_crc);
    put_u32(bytes, 16, data_crc);
    decode(bytes);
  }
  return 0;
}
