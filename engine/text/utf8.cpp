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

namespace {

void append_hex_byte(std::string& out, const char* prefix, unsigned value) {
  static const char kDigits[] = "0123456789abcdef";
  out += prefix;
  out.push_back(kDigits[(value >> 4) & 0xF]);
  out.push_back(kDigits[value & 0xF]);
}

// Walks `text` code point by code point; `on_valid` may append an escaped form and return true, else the
// code point is copied as it is. Invalid bytes always become "\xNN".
template <typename OnValid>
std::string rewrite_utf8(std::string_view text, OnValid on_valid) {
  std::string out;
  out.reserve(text.size());
  size_t offset = 0;
  while (offset < text.size()) {
    const Utf8CodePoint cp = decode_utf8(text, offset);
    if (!cp.valid) {
      append_hex_byte(out, "\\x", static_cast<unsigned char>(text[offset]));
    } else if (!on_valid(out, cp.code_point)) {
      out.append(text.substr(offset, cp.length));
    }
    offset += cp.length;
  }
  return out;
}

}  // namespace

std::string to_valid_utf8(std::string_view bytes) {
  if (!first_invalid_utf8(bytes)) {
    return std::string(bytes);
  }
  return rewrite_utf8(bytes, [](std::string&, char32_t) { return false; });
}

std::string escape_for_terminal(std::string_view text) {
  return rewrite_utf8(text, [](std::string& out, char32_t code_point) {
    switch (code_point) {
      case '\n':
        out += "\\n";
        return true;
      case '\t':
        out += "\\t";
        return true;
      case '\r':
        out += "\\r";
        return true;
      case '\\':
        out += "\\\\";
        return true;
      default:
        break;
    }
    if (code_point < 0x20 || code_point == 0x7F) {
      append_hex_byte(out, "\\x", static_cast<unsigned>(code_point));
      return true;
    }
    if (code_point >= 0x80 && code_point < 0xA0) {
      append_hex_byte(out, "\\u00", static_cast<unsigned>(code_point));
      return true;
    }
    return false;
  });
}

}  // namespace zoolab
