// UTF-8 decoding, the Unicode class tables and GPT-2's pre-tokenisation pattern (engine/text/utf8.h,
// unicode_tables.h, pretokenizer.h). The expected splits are what Python's `regex` module (GPT-2's
// encoder.py) gives for the pattern; they were checked with it, together with 20000 random strings over
// letters, digits, apostrophes, spaces, tabs, newlines, U+0085, U+00A0, U+3000, U+FEFF, combining marks,
// CJK and emoji (no mismatch).

#include <gtest/gtest.h>

#include "engine/text/pretokenizer.h"
#include "engine/text/unicode_tables.h"
#include "engine/text/utf8.h"

namespace zoolab {
namespace {

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> pieces;
  for (const auto piece : pretokenize(text))
    pieces.emplace_back(piece);
  return pieces;
}

using Pieces = std::vector<std::string>;

TEST(BpeUtf8, DecodesAndRejectsMalformedSequences) {
  const std::string text = "a\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80";  // a é 中 😀
  EXPECT_EQ(decode_utf8(text, 0).code_point, U'a');
  EXPECT_EQ(decode_utf8(text, 1).code_point, U'\u00e9');
  EXPECT_EQ(decode_utf8(text, 1).length, 2);
  EXPECT_EQ(decode_utf8(text, 3).code_point, U'\u4e2d');
  EXPECT_EQ(decode_utf8(text, 6).code_point, U'\U0001F600');
  EXPECT_EQ(decode_utf8(text, 6).length, 4);
  EXPECT_FALSE(first_invalid_utf8(text).has_value());
  EXPECT_EQ(first_invalid_utf8("ab\x80"), 2u);            // stray continuation byte
  EXPECT_EQ(first_invalid_utf8("abc\xe4\xb8"), 3u);       // cut at the end
  EXPECT_EQ(first_invalid_utf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(first_invalid_utf8("x\xed\xa0\x80"), 1u);     // surrogate U+D800
  EXPECT_EQ(first_invalid_utf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("ok\xff"), 2u);
  EXPECT_EQ(first_invalid_utf8(std::string("nul\0ok", 6)), std::nullopt);
  std::string round;
  for (const char32_t cp : {U'a', U'\u00e9', U'\u4e2d', U'\U0001F600', U'\U0010FFFF'})
    append_utf8(round, cp);
  EXPECT_EQ(round, text + "\xf4\x8f\xbf\xbf");
}

TEST(BpeUnicodeTables, ClassifiesCodePoints) {
  for (const char32_t letter :
       {U'a', U'Z', U'\u00e9', U'\u03a9', U'\u4e2d', U'\u3042', U'\uac00', U'\u0627'}) {
    EXPECT_TRUE(is_unicode_letter(letter)) << static_cast<uint32_t>(letter);
    EXPECT_FALSE(is_unicode_number(letter));
  }
  for (const char32_t number :
       {U'0', U'9', U'\u00bd', U'\u00b2', U'\u216b', U'\u0663', U'\uff11', U'\u2460'}) {
    EXPECT_TRUE(is_unicode_number(number)) << static_cast<uint32_t>(number);
    EXPECT_FALSE(is_unicode_letter(number));
  }
  for (const char32_t space :
       {U' ', U'\t', U'\n', U'\v', U'\f', U'\r', U'\u0085', U'\u00a0', U'\u2028', U'\u3000'}) {
    EXPECT_TRUE(is_unicode_whitespace(space)) << static_cast<uint32_t>(space);
  }
  // Neither of the three: marks, symbols, emoji, U+FEFF, U+200B, information separators.
  for (const char32_t other : {U'\u0301', U'!', U'\u20ac', U'\U0001F600', U'\uFEFF', U'\u200b', U'\x1c'}) {
    EXPECT_FALSE(is_unicode_letter(other) || is_unicode_number(other) || is_unicode_whitespace(other))
        << static_cast<uint32_t>(other);
  }
  EXPECT_FALSE(is_unicode_letter(0x110000));
}

TEST(BpePretokenizer, SplitsLikeGpt2Pattern) {
  EXPECT_EQ(split("Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(split("I'm  you're"), (Pieces{"I", "'m", " ", " you", "'re"}));
  EXPECT_EQ(split("it's''s 'S"), (Pieces{"it", "'s", "''", "s", " '", "S"}));
  EXPECT_EQ(split("  two"), (Pieces{" ", " two"}));
  EXPECT_EQ(split("a  \n\nb"), (Pieces{"a", "  \n", "\n", "b"}));
  EXPECT_EQ(split("end   "), (Pieces{"end", "   "}));
  EXPECT_EQ(split("x\t\ty"), (Pieces{"x", "\t", "\t", "y"}));
  EXPECT_EQ(split("abc123 456"), (Pieces{"abc", "123", " 456"}));
  EXPECT_EQ(split(" \u00bd\u216b\u0663"), (Pieces{" \u00bd\u216b\u0663"}));
  EXPECT_EQ(split("caf\u00e9 na\u00efve"), (Pieces{"caf\u00e9", " na\u00efve"}));
  EXPECT_EQ(split("\u4e2d\u6587\u5b57 \U0001F600\U0001F600!!"),
            (Pieces{"\u4e2d\u6587\u5b57", " \U0001F600\U0001F600!!"}));
  EXPECT_EQ(split("e\u0301t\u00e9"), (Pieces{"e", "\u0301", "t\u00e9"}));
  EXPECT_EQ(split("??? !"), (Pieces{"???", " !"}));
  EXPECT_EQ(split("a\u00a0b"), (Pieces{"a", "\u00a0", "b"}));
  EXPECT_EQ(split("a\u3000\u3000b"), (Pieces{"a", "\u3000", "\u3000", "b"}));
  EXPECT_TRUE(split("").empty());
}

// Where gpt-3-encoder (JavaScript's \s) and GPT-2 (Python regex's \s) differ, we follow GPT-2.
TEST(BpePretokenizer, FollowsPythonRegexNotJavaScriptOnNelAndBom) {
  EXPECT_EQ(split("a\u0085b"), (Pieces{"a", "\u0085", "b"}));  // U+0085 is whitespace
  EXPECT_EQ(split("a \u0085b"), (Pieces{"a", " ", "\u0085", "b"}));
  EXPECT_EQ(split("a\uFEFFb"), (Pieces{"a", "\uFEFF", "b"}));  // U+FEFF is not
  EXPECT_EQ(split(" \uFEFF"), (Pieces{" \uFEFF"}));
}

TEST(BpePretokenizer, InvalidBytesAreOtherCodePointsAndPiecesCoverTheText) {
  const std::string text = "ab \xff\xfe!c \xe2\x82";
  EXPECT_EQ(split(text), (Pieces{"ab", " \xff\xfe!", "c", " \xe2\x82"}));
  std::string joined;
  for (const auto& piece : split("  mixed\t\n text, 123 \xc0 \U0001F600  "))
    joined += piece;
  EXPECT_EQ(joined, "  mixed\t\n text, 123 \xc0 \U0001F600  ");
}

}  // namespace
}  // namespace zoolab
