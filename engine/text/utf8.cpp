#include "engine/text/utf8.h"

namespace zoolab {

namespace {

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0u) == 0x80u;
}

}  // namespace

Utf8CodePoint decode_utf8(std::string_view text, size_t offset) {
  Utf8CodePoint result;
  const auto lead = static_cast<unsigned char>(text[offset]);
  result.code_point = lead;
  if (lead < 0x80u) {
    result.valid = true;
    return result;
  }
  size_t length = 0;
  char32_t code_point = 0;
  char32_t minimum = 0;  // smallest code point this length may encode: rejects overlong forms
  if ((lead & 0xE0u) == 0xC0u) {
    length = 2;
    code_point = lead & 0x1Fu;
    minimum = 0x80;
  } else if ((lead & 0xF0u) == 0xE0u) {
    length = 3;
    code_point = lead & 0x0Fu;
    minimum = 0x800;
  } else if ((lead & 0xF8u) == 0xF0u) {
    length = 4;
    code_point = lead & 0x07u;
    minimum = 0x10000;
  } else {
    return result;  // a stray continuation byte or 0xF8..0xFF
  }
  if (offset + length > text.size())
    return result;
  for (size_t i = 1; i < length; ++i) {
    const auto byte = static_cast<unsigned char>(text[offset + i]);
    if (!is_continuation(byte))
      return result;
    code_point = (code_point << 6) | (byte & 0x3Fu);
  }
  if (code_point < minimum || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return result;
  }
  result.code_point = code_point;
  result.length = static_cast<uint8_t>(length);
  result.valid = true;
  return result;
}

std::optional<size_t> first_invalid_utf8(std::string_view text) {
  size_t offset = 0;
  while (offset < text.size()) {
    // Fast path over ASCII, which is most of any corpus.
    if (static_cast<unsigned char>(text[offset]) < 0x80u) {
      ++offset;
      continue;
    }
    const Utf8CodePoint cp = decode_utf8(text, offset);
    if (!cp.valid)
      return offset;
    offset += cp.length;
  }
  return std::nullopt;
}

void append_utf8(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

}  // namespace zoolab
