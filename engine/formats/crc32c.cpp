// CRC-32C (crc32c.h): the SSE 4.2 instruction where the processor has it, else slicing-by-8.

#include "engine/formats/crc32c.h"

#include <array>
#include <cstring>

namespace zoolab {
namespace {

constexpr uint32_t kReflectedPolynomial = 0x82F63B78u;

// kTables[0] is the classic byte-at-a-time table; kTables[k][b] is the CRC of byte b followed by k zero
// bytes, so eight bytes are folded with eight independent look-ups (slicing-by-8).
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables tables{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1u) ? (crc >> 1) ^ kReflectedPolynomial : crc >> 1;
    }
    tables[0][byte] = crc;
  }
  for (size_t k = 1; k < 8; ++k) {
    for (uint32_t byte = 0; byte < 256; ++byte) {
      const uint32_t previous = tables[k - 1][byte];
      tables[k][byte] = (previous >> 8) ^ tables[0][previous & 0xffu];
    }
  }
  return tables;
}

constexpr Tables kTables = make_tables();

uint64_t load_le64(const unsigned char* p) {
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(p[i]) << (8 * i);
  }
  return value;
}

// On the inverted register (the caller applies the initial and final XOR).
uint32_t portable_update(uint32_t crc, const unsigned char* p, size_t size) {
  while (size >= 8) {
    const uint64_t word = load_le64(p) ^ crc;
    crc = kTables[7][word & 0xff] ^ kTables[6][(word >> 8) & 0xff] ^ kTables[5][(word >> 16) & 0xff] ^
          kTables[4][(word >> 24) & 0xff] ^ kTables[3][(word >> 32) & 0xff] ^
          kTables[2][(word >> 40) & 0xff] ^ kTables[1][(word >> 48) & 0xff] ^ kTables[0][word >> 56];
    p += 8;
    size -= 8;
  }
  while (size-- > 0) {
    crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xff];
  }
  return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ZOOLAB_CRC32C_HARDWARE 1

// The CRC32 instruction computes exactly this CRC (Castagnoli, reflected) on the inverted register.
__attribute__((target("sse4.2"))) uint32_t hardware_update(uint32_t crc, const unsigned char* p,
                                                           size_t size) {
  uint64_t wide = crc;
  while (size >= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);  // little-endian host: the same byte order as load_le64
    wide = __builtin_ia32_crc32di(wide, word);
    p += 8;
    size -= 8;
  }
  crc = static_cast<uint32_t>(wide);
  while (size-- > 0) {
    crc = __builtin_ia32_crc32qi(crc, *p++);
  }
  return crc;
}

bool detect_hardware() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

const bool kHardware = detect_hardware();
#endif

}  // namespace

uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size) {
#ifdef ZOOLAB_CRC32C_HARDWARE
  if (kHardware) {
    return ~hardware_update(~crc, static_cast<const unsigned char*>(data), size);
  }
#endif
  return ~portable_update(~crc, static_cast<const unsigned char*>(data), size);
}

uint32_t crc32c(const void* data, size_t size) {
  return crc32c_extend(0, data, size);
}

namespace detail {

uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size) {
  return ~portable_update(~crc, static_cast<const unsigned char*>(data), size);
}

bool crc32c_hardware() {
#ifdef ZOOLAB_CRC32C_HARDWARE
  return kHardware;
#else
  return false;
#endif
}

}  // namespace detail
}  // namespace zoolab
