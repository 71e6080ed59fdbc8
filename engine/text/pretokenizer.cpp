#include "engine/text/pretokenizer.h"

#include <array>
#include <cstdint>

#include "engine/text/unicode_tables.h"
#include "engine/text/utf8.h"

namespace zoolab {

namespace {

enum class CharClass : uint8_t { Letter, Number, Space, Other };

struct CodePoint {
  CharClass cls;
  uint8_t length;  // bytes
};

// ASCII is almost all of English text: a table avoids the binary searches there.
std::array<CharClass, 128> make_ascii_classes() {
  std::array<CharClass, 128> classes{};
  for (int c = 0; c < 128; ++c) {
    const auto cp = static_cast<char32_t>(c);
    classes[c] = is_unicode_letter(cp)       ? CharClass::Letter
                 : is_unicode_number(cp)     ? CharClass::Number
                 : is_unicode_whitespace(cp) ? CharClass::Space
                                             : CharClass::Other;
  }
  return classes;
}

const std::array<CharClass, 128> kAsciiClasses = make_ascii_classes();

CodePoint next_code_point(std::string_view text, size_t offset) {
  const auto byte = static_cast<unsigned char>(text[offset]);
  if (byte < 0x80u)
    return {kAsciiClasses[byte], 1};
  const Utf8CodePoint decoded = decode_utf8(text, offset);
  if (!decoded.valid)
    return {CharClass::Other, 1};  // an invalid byte: see pretokenizer.h
  const char32_t cp = decoded.code_point;
  const CharClass cls = is_unicode_letter(cp)       ? CharClass::Letter
                        : is_unicode_number(cp)     ? CharClass::Number
                        : is_unicode_whitespace(cp) ? CharClass::Space
                                                    : CharClass::Other;
  return {cls, decoded.length};
}

// End of the run of code points of class `cls` that starts at `offset`.
size_t run_end(std::string_view text, size_t offset, CharClass cls) {
  while (offset < text.size()) {
    const CodePoint cp = next_code_point(text, offset);
    if (cp.cls != cls)
      break;
    offset += cp.length;
  }
  return offset;
}

// 's 't 're 've 'm 'll 'd (lower case only, as in GPT-2's pattern): length, or 0.
size_t contraction_length(std::string_view text, size_t offset) {
  const std::string_view rest = text.substr(offset + 1);
  if (rest.empty())
    return 0;
  const char first = rest[0];
  if (first == 's' || first == 't' || first == 'm' || first == 'd')
    return 2;
  if (rest.size() >= 2) {
    const std::string_view two = rest.substr(0, 2);
    if (two == "re" || two == "ve" || two == "ll")
      return 3;
  }
  return 0;
}

}  // namespace

namespace detail {

size_t pretoken_length(std::string_view text, size_t offset) {
  const char lead = text[offset];
  if (lead == '\'') {
    const size_t length = contraction_length(text, offset);
    if (length > 0)
      return length;
  }
  const CodePoint first = next_code_point(text, offset);
  // " ?\p{L}+ | ?\p{N}+ | ?[^\s\p{L}\p{N}]+": an optional single U+0020, then a run of one class.
  if (lead == ' ' && offset + 1 < text.size()) {
    const CodePoint second = next_code_point(text, offset + 1);
    if (second.cls != CharClass::Space)
      return run_end(text, offset + 1, second.cls) - offset;
  }
  if (first.cls != CharClass::Space)
    return run_end(text, offset, first.cls) - offset;

  // "\s+(?!\S)|\s+": the whole run at the end of the text or when it is one code point; otherwise all
  // but its last code point, which then prefixes the next word (or forms a piece of its own).
  size_t end = offset;
  size_t last_start = offset;
  size_t count = 0;
  while (end < text.size()) {
    const CodePoint cp = next_code_point(text, end);
    if (cp.cls != CharClass::Space)
      break;
    last_start = end;
    end += cp.length;
    ++count;
  }
  if (end == text.size() || count == 1)
    return end - offset;
  return last_start - offset;
}

}  // namespace detail

std::vector<std::string_view> pretokenize(std::string_view text) {
  std::vector<std::string_view> pieces;
  for_each_pretoken(text, [&pieces](std::string_view piece) { pieces.push_back(piece); });
  return pieces;
}

}  // namespace zoolab
