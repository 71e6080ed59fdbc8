#pragma once

// The Probe page's sequence syntax: token ids separated by spaces or commas, where a word marks a query
//   12      a plain token (no label)
//   7:3     a query of key 7 whose target is 3
//   5?      a query of key 5 whose target is the token after the first earlier, non-query occurrence of 5
//           (in MQAR, the value of the context's k v pair)
// Token ids and targets are non-negative decimal integers that fit in 64 bits (an optional '+' or '-'
// sign, ASCII digits). The text is what a person typed, so nothing here is trusted: the parser only
// splits and converts, and every problem comes back as a ProbeSequenceError naming the word, never as
// an exception. No torch, no Qt: the view, the tests and the fuzz harness share it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace zoolab {

enum class ProbeSequenceProblem {
  None,
  BadTarget,        // "K:T" whose T is not a non-negative integer
  NotAnInteger,     // the word (without its "?" or ":T") is not an integer
  NegativeToken,    // a token id below 0
  NoDerivedTarget,  // "K?" where K does not occur earlier followed by a value
};

// Which word is wrong and why. Kept as data (not a sentence) so the view can phrase it in its own
// translated words; probe_sequence_message() phrases it in English.
struct ProbeSequenceError {
  ProbeSequenceProblem problem = ProbeSequenceProblem::None;
  size_t word = 0;   // index of the word (and of its token), 0-based
  std::string text;  // the word as typed (UTF-8, unescaped: escape it before printing)
  int64_t key = 0;   // NoDerivedTarget: the key that has no value before it

  explicit operator bool() const { return problem != ProbeSequenceProblem::None; }
};

struct ProbeSequence {
  std::vector<int64_t> tokens;
  std::vector<int64_t> labels;  // (tokens.size()) the target at a query, -100 elsewhere
  ProbeSequenceError error;     // when set, tokens and labels are empty
};

// Parses `text` (UTF-8) in the syntax above. Empty or blank text gives an empty sequence, no error.
ProbeSequence parse_probe_sequence(std::string_view text);

// The target a "K?" query at `position` is scored against: the token after the first earlier occurrence
// of its key at a position that is not itself a query. -1 when there is none. `is_query` has the size of
// `tokens`, and `position` < tokens.size().
int64_t derived_probe_target(const std::vector<int64_t>& tokens, const std::vector<bool>& is_query,
                             size_t position);

// The error as one English sentence, the word escaped for a terminal, e.g.
// `Token 2 ("x7"): not an integer token id (...)`. Empty when there is no error.
std::string probe_sequence_message(const ProbeSequenceError& error);

}  // namespace zoolab
