#pragma once

// GPT-2's pre-tokenisation (reference: GPT-2's encoder.py pattern; docs/architecture.md#text-pipeline),
// written by hand over code points instead of with a regex library:
//
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
//
// The first alternative that matches at a position wins, each greedy; `\s+(?!\S)` leaves the last
// whitespace of a run that is followed by a non-space for the next piece (so " word" keeps its space).
// \p{L}, \p{N} and \s come from engine/text/unicode_tables.h. Bytes that are not valid UTF-8 count as
// one "other" code point each (the [^\s\p{L}\p{N}] class), so every byte string splits into pieces that
// concatenate back to it. No torch, no Qt.

#include <string_view>
#include <vector>

namespace zoolab {

// Calls `piece(std::string_view)` for each piece of `text`, in order; the pieces are views into `text`.
template <typename Callback>
void for_each_pretoken(std::string_view text, Callback&& piece);

// All pieces of `text` (views into it).
std::vector<std::string_view> pretokenize(std::string_view text);

namespace detail {

// Length in bytes of the piece starting at `offset` (< text.size()); at least 1.
size_t pretoken_length(std::string_view text, size_t offset);

}  // namespace detail

template <typename Callback>
void for_each_pretoken(std::string_view text, Callback&& piece) {
  size_t offset = 0;
  while (offset < text.size()) {
    const size_t length = detail::pretoken_length(text, offset);
    piece(text.substr(offset, length));
    offset += length;
  }
}

}  // namespace zoolab
