#pragma once

// CRC-32C, the checksum every binary format of zoolab ends or starts with (docs/formats.md): the
// Castagnoli polynomial 0x1EDC6F41 (0x82F63B78 bit-reversed), reflected input and output, initial value
// and final XOR 0xFFFFFFFF; crc32c("123456789") == 0xE3069283 (the check value of iSCSI, ext4, Btrfs).
// Chosen over CRC-32 (zlib) because x86-64 computes it in hardware (SSE 4.2), which keeps the check of a
// large token shard on open cheap: 0.8-0.9 GB/s measured on a loaded 2-core machine (load average 12),
// against 0.15 GB/s for the slicing-by-8 tables used where the instruction is missing.
// No torch, no Qt.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace zoolab {

// The CRC-32C of `size` bytes.
uint32_t crc32c(const void* data, size_t size);
inline uint32_t crc32c(std::string_view bytes) {
  return crc32c(bytes.data(), bytes.size());
}

// Continues a CRC over more bytes: crc32c_extend(crc32c(a), b) == crc32c(a followed by b), so a writer
// that streams its data never holds it whole. crc32c_extend(0, data) == crc32c(data).
uint32_t crc32c_extend(uint32_t crc, const void* data, size_t size);

namespace detail {
// The table-driven implementation alone, whatever the processor offers (the tests compare the two).
uint32_t crc32c_extend_portable(uint32_t crc, const void* data, size_t size);
// Whether crc32c_extend uses the processor's CRC32 instruction.
bool crc32c_hardware();
}  // namespace detail

}  // namespace zoolab
