#pragma once

// Little-endian fixed-width fields for the binary blobs the store keeps (query records "ZQRS", token
// losses "ZTLS"), so a blob written on one machine reads on any other.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>

namespace zoolab::little_endian {

// The unsigned integer holding a T's bits: integers by their unsigned type, floats by their width.
template <typename T>
struct Bits {
  using type = std::make_unsigned_t<T>;
};
template <>
struct Bits<float> {
  using type = uint32_t;
};
template <>
struct Bits<double> {
  using type = uint64_t;
};

// Appends `value` (an integer, or a float/double by its bits) to `out`, least significant byte first.
template <typename T>
void put(std::string& out, T value) {
  using U = typename Bits<T>::type;
  U bits;
  std::memcpy(&bits, &value, sizeof(T));
  for (size_t i = 0; i < sizeof(T); ++i) {
    out.push_back(static_cast<char>((bits >> (8 * i)) & 0xFF));
  }
}

// Reads a T written by put() at `offset`; the caller has checked that sizeof(T) bytes are there.
template <typename T>
T get(std::string_view bytes, size_t offset) {
  using U = typename Bits<T>::type;
  U bits = 0;
  for (size_t i = 0; i < sizeof(T); ++i) {
    bits |= static_cast<U>(static_cast<U>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i));
  }
  T value;
  std::memcpy(&value, &bits, sizeof(T));
  return value;
}

}  // namespace zoolab::little_endian
