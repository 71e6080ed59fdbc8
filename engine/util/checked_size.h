#pragma once

// Sizes and counts that come from input (a file header, a config, a command line) are combined with
// CheckedSize, never with raw integer arithmetic: an overflow or a negative operand poisons the value
// instead of wrapping, and the caller refuses it with a message that names the field.
//
//   const CheckedSize bytes = CheckedSize(num_examples) * seq_len * sizeof(int64_t);
//   if (!bytes.ok() || *bytes.value() > limit) throw ConfigError("data.train[0].num_examples", ...);

#include <cstdint>
#include <limits>
#include <optional>
#include <type_traits>

namespace zoolab {

class CheckedSize {
 public:
  constexpr CheckedSize() = default;
  // A negative integer is not a size: the result is invalid.
  template <typename T, typename = std::enable_if_t<std::is_integral_v<T>>>
  constexpr CheckedSize(T value) {  // NOLINT(google-explicit-constructor): reads as arithmetic
    if constexpr (std::is_signed_v<T>) {
      m_ok = value >= 0;
      m_value = m_ok ? static_cast<uint64_t>(value) : 0;
    } else {
      m_value = static_cast<uint64_t>(value);
    }
  }
  static constexpr CheckedSize invalid() {
    CheckedSize size;
    size.m_ok = false;
    return size;
  }

  constexpr bool ok() const { return m_ok; }
  constexpr std::optional<uint64_t> value() const {
    return m_ok ? std::optional<uint64_t>(m_value) : std::nullopt;
  }
  // The value as an int64_t when it is valid and fits (sizes handed to torch and std containers).
  constexpr std::optional<int64_t> as_int64() const {
    if (!m_ok || m_value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<int64_t>(m_value);
  }
  // Valid and at most `limit`.
  constexpr bool within(uint64_t limit) const { return m_ok && m_value <= limit; }

  friend CheckedSize operator+(CheckedSize a, CheckedSize b) {
    CheckedSize out;
    out.m_ok = a.m_ok && b.m_ok && !__builtin_add_overflow(a.m_value, b.m_value, &out.m_value);
    return out;
  }
  friend CheckedSize operator*(CheckedSize a, CheckedSize b) {
    CheckedSize out;
    out.m_ok = a.m_ok && b.m_ok && !__builtin_mul_overflow(a.m_value, b.m_value, &out.m_value);
    return out;
  }
  // Invalid when b > a: a size never goes below zero.
  friend CheckedSize operator-(CheckedSize a, CheckedSize b) {
    CheckedSize out;
    out.m_ok = a.m_ok && b.m_ok && a.m_value >= b.m_value;
    out.m_value = out.m_ok ? a.m_value - b.m_value : 0;
    return out;
  }
  CheckedSize& operator+=(CheckedSize other) { return *this = *this + other; }
  CheckedSize& operator*=(CheckedSize other) { return *this = *this * other; }

 private:
  bool m_ok = true;
  uint64_t m_value = 0;
};

}  // namespace zoolab
