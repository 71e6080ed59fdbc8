#pragma once

// UTF-8 decoding for the text pipeline (docs/architecture.md#text-pipeline): the pre-tokenizer walks code
// points, the corpus reader refuses or skips documents whose bytes are not valid UTF-8. Strict RFC 3629: no
// overlong forms, no surrogates (U+D800..U+DFFF), nothing above U+10FFFF. No torch, no Qt.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace zoolab {

// One decoded code point and how many bytes it took. For an invalid sequence `valid` is false,
// `length` is 1 (the caller skips one byte) and `code_point` is the byte's value.
struct Utf8CodePoint {
  char32_t code_point = 0;
  uint8_t length = 1;
  bool valid = false;
};

// Decodes the code point starting at `text[offset]` (offset < text.size()).
Utf8CodePoint decode_utf8(std::string_view text, size_t offset);

// Offset of the first byte that does not start or continue a valid UTF-8 sequence; nullopt when all of
// `text` is valid. A sequence cut at the end of `text` is invalid (reported at its first byte).
std::optional<size_t> first_invalid_utf8(std::string_view text);

// `bytes` as valid UTF-8: each byte that does not start or continue a valid sequence becomes the text
// "\xNN", so a message that quotes a damaged file can be stored and printed and still says what it held.
std::string to_valid_utf8(std::string_view bytes);

// `text` made safe for a terminal or a plain-text listing: invalid bytes as in to_valid_utf8, control
// characters (C0, DEL, C1) escaped as \n, \t, \r, \\, \x1b, \u009b, so a run name cannot move the cursor,
// recolour the terminal or forge a line of output.
std::string escape_for_terminal(std::string_view text);

// Appends the UTF-8 encoding of `code_point` (<= U+10FFFF, not a surrogate) to `out`.
void append_utf8(std::string& out, char32_t code_point);

}  // namespace zoolab
