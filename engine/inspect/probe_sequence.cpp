#include "engine/inspect/probe_sequence.h"

#include <limits>
#include <optional>

#include "engine/data/tasks/mqar.h"
#include "engine/text/utf8.h"

namespace zoolab {

namespace {

// The separators: ASCII white space and commas. (The view used to split with the regular expression
// [\s,]+, whose \s means exactly these six characters; other Unicode spaces stay inside a word and make
// it fail as an integer, as before.) None of these bytes occurs inside a multi-byte UTF-8 sequence, so
// splitting bytes splits characters.
bool is_separator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || c == ',';
}

std::vector<std::string_view> split_words(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_separator(text[i])) {
      ++i;
    }
    const size_t start = i;
    while (i < text.size() && !is_separator(text[i])) {
      ++i;
    }
    if (i > start) {
      words.push_back(text.substr(start, i - start));
    }
  }
  return words;
}

// A decimal integer with an optional sign that fits in int64_t, and nothing else (what QString's
// toLongLong accepted from a word, which holds no white space). Overflow is refused, not wrapped.
std::optional<int64_t> parse_int64(std::string_view word) {
  size_t i = 0;
  bool negative = false;
  if (i < word.size() && (word[i] == '+' || word[i] == '-')) {
    negative = word[i] == '-';
    ++i;
  }
  if (i == word.size()) {
    return std::nullopt;
  }
  // Accumulated as a magnitude, so that INT64_MIN (whose magnitude is one more than INT64_MAX) parses.
  const uint64_t limit = negative ? uint64_t{1} << 63 : uint64_t{std::numeric_limits<int64_t>::max()};
  uint64_t magnitude = 0;
  for (; i < word.size(); ++i) {
    const char c = word[i];
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    const auto digit = static_cast<uint64_t>(c - '0');
    if (magnitude > (limit - digit) / 10) {
      return std::nullopt;
    }
    magnitude = magnitude * 10 + digit;
  }
  if (!negative) {
    return static_cast<int64_t>(magnitude);
  }
  // -magnitude without overflow: magnitude <= 2^63.
  return magnitude == 0 ? 0 : -static_cast<int64_t>(magnitude - 1) - 1;
}

}  // namespace

ProbeSequence parse_probe_sequence(std::string_view text) {
  ProbeSequence parsed;
  const std::vector<std::string_view> words = split_words(text);
  std::vector<bool> is_query;
  std::vector<bool> derived;  // "K?": its target comes from the context, once all tokens are known
  for (size_t i = 0; i < words.size(); ++i) {
    std::string_view word = words[i];
    const auto fail = [&](ProbeSequenceProblem problem) {
      parsed.error.problem = problem;
      parsed.error.word = i;
      parsed.error.text = std::string(words[i]);
      parsed.tokens.clear();
      parsed.labels.clear();
      return parsed;
    };
    bool query = false;
    bool from_context = false;
    int64_t target = kIgnoreLabel;
    if (word.back() == '?') {
      word.remove_suffix(1);
      query = true;
      from_context = true;
    } else if (const size_t colon = word.find(':'); colon != std::string_view::npos) {
      const std::optional<int64_t> value = parse_int64(word.substr(colon + 1));
      if (!value || *value < 0) {
        return fail(ProbeSequenceProblem::BadTarget);
      }
      target = *value;
      word = word.substr(0, colon);
      query = true;
    }
    const std::optional<int64_t> token = parse_int64(word);
    if (!token) {
      return fail(ProbeSequenceProblem::NotAnInteger);
    }
    if (*token < 0) {
      return fail(ProbeSequenceProblem::NegativeToken);
    }
    parsed.tokens.push_back(*token);
    parsed.labels.push_back(target);
    is_query.push_back(query);
    derived.push_back(from_context);
  }
  for (size_t p = 0; p < parsed.tokens.size(); ++p) {
    if (!derived[p]) {
      continue;
    }
    const int64_t target = derived_probe_target(parsed.tokens, is_query, p);
    if (target < 0) {
      parsed.error.problem = ProbeSequenceProblem::NoDerivedTarget;
      parsed.error.word = p;
      parsed.error.text = std::string(words[p]);
      parsed.error.key = parsed.tokens[p];
      parsed.tokens.clear();
      parsed.labels.clear();
      return parsed;
    }
    parsed.labels[p] = target;
  }
  return parsed;
}

int64_t derived_probe_target(const std::vector<int64_t>& tokens, const std::vector<bool>& is_query,
                             size_t position) {
  for (size_t j = 0; j + 1 < position; ++j) {
    if (!is_query[j] && tokens[j] == tokens[position]) {
      return tokens[j + 1];
    }
  }
  return -1;
}

std::string probe_sequence_message(const ProbeSequenceError& error) {
  const std::string at =
      "Token " + std::to_string(error.word) + " (\"" + escape_for_terminal(error.text) + "\"): ";
  switch (error.problem) {
    case ProbeSequenceProblem::None:
      return {};
    case ProbeSequenceProblem::BadTarget:
      return at + "the target after ':' must be a non-negative integer";
    case ProbeSequenceProblem::NotAnInteger:
      return at +
             "not an integer token id (write ids separated by spaces; \"K?\" marks a query of key K, \"K:T\" "
             "one with target T)";
    case ProbeSequenceProblem::NegativeToken:
      return at + "token ids are not negative";
    case ProbeSequenceProblem::NoDerivedTarget: {
      const std::string key = std::to_string(error.key);
      return "Token " + std::to_string(error.word) + " (\"" + key + "?\"): key " + key +
             " does not occur earlier followed by a value, so the query has no target; write " + key +
             ":T to give one";
    }
  }
  return {};
}

}  // namespace zoolab
