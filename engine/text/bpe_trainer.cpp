#include "engine/text/bpe_trainer.h"

#include <algorithm>
#include <queue>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/text/pair_key.h"
#include "engine/text/pretokenizer.h"

namespace zoolab {

namespace {

int32_t key_left(uint64_t key) {
  return static_cast<int32_t>(key >> 32);
}
int32_t key_right(uint64_t key) {
  return static_cast<int32_t>(key & 0xFFFFFFFFu);
}

// A candidate merge in the priority queue. Its count may be stale (too high) after other merges took
// some of its occurrences; it is checked when it comes out.
struct Candidate {
  int64_t count;
  int32_t left;
  int32_t right;
};

// Most frequent first; ties: smaller left id, then smaller right id (deterministic: the same text always
// gives the same vocabulary).
struct CandidateOrder {
  bool operator()(const Candidate& a, const Candidate& b) const {
    if (a.count != b.count)
      return a.count < b.count;
    if (a.left != b.left)
      return a.left > b.left;
    return a.right > b.right;
  }
};

}  // namespace

struct BpeTrainer::State {
  BpeTrainerOptions options;
  std::unordered_map<std::string, int64_t> word_counts;
  int64_t words_seen = 0;
  bool trained = false;
};

BpeTrainer::BpeTrainer(BpeTrainerOptions options) : m_state(std::make_unique<State>()) {
  if (options.vocab_size < 257) {
    throw std::invalid_argument("BPE trainer: vocab_size " + std::to_string(options.vocab_size) +
                                " is too small; it needs the 256 bytes and <|endoftext|>, so at least 257");
  }
  if (options.vocab_size > (int64_t{1} << 30)) {
    throw std::invalid_argument("BPE trainer: vocab_size " + std::to_string(options.vocab_size) +
                                " is too large");
  }
  m_state->options = std::move(options);
}

BpeTrainer::~BpeTrainer() = default;

void BpeTrainer::add_text(std::string_view text) {
  auto& counts = m_state->word_counts;
  int64_t seen = 0;
  for_each_pretoken(text, [&counts, &seen](std::string_view piece) {
    ++counts[std::string(piece)];
    ++seen;
  });
  m_state->words_seen += seen;
}

int64_t BpeTrainer::words_seen() const {
  return m_state->words_seen;
}
int64_t BpeTrainer::unique_words() const {
  return static_cast<int64_t>(m_state->word_counts.size());
}

BpeTokenizer BpeTrainer::train() {
  State& state = *m_state;
  if (state.trained)
    throw std::logic_error("BpeTrainer::train called twice");
  state.trained = true;
  const int64_t target = state.options.vocab_size;

  // The words in a fixed order (sorted), as symbol sequences of byte ids.
  std::vector<std::pair<std::string, int64_t>> sorted(state.word_counts.begin(), state.word_counts.end());
  state.word_counts = {};
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<int32_t>> words;
  std::vector<int64_t> frequency;
  words.reserve(sorted.size());
  frequency.reserve(sorted.size());
  for (const auto& [word, count] : sorted) {
    if (word.size() < 2)
      continue;  // a single byte has no pair
    words.emplace_back(word.begin(), word.end());
    for (int32_t& symbol : words.back())
      symbol = static_cast<unsigned char>(symbol);
    frequency.push_back(count);
  }
  sorted = {};

  std::vector<std::string> token_bytes(256);
  std::unordered_map<std::string, int32_t> id_of_bytes;
  for (int b = 0; b < 256; ++b) {
    token_bytes[b] = std::string(1, static_cast<char>(b));
    id_of_bytes[token_bytes[b]] = b;
  }

  // pair → total count over all words; pair → words that held it (may list a word twice or after the
  // pair left it: each is checked when the pair is merged).
  std::unordered_map<uint64_t, int64_t> pair_count;
  std::unordered_map<uint64_t, std::vector<int32_t>> pair_words;
  for (size_t w = 0; w < words.size(); ++w) {
    const auto& symbols = words[w];
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      const uint64_t key = pair_key(symbols[i], symbols[i + 1]);
      pair_count[key] += frequency[w];
      auto& holders = pair_words[key];
      if (holders.empty() || holders.back() != static_cast<int32_t>(w))
        holders.push_back(static_cast<int32_t>(w));
    }
  }
  std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue;
  for (const auto& [key, count] : pair_count)
    queue.push({count, key_left(key), key_right(key)});

  std::vector<std::pair<int32_t, int32_t>> merges;
  std::vector<int32_t> visited(words.size(), -1);  // merge index that last rewrote each word
  std::vector<int32_t> rewritten;
  std::unordered_set<uint64_t> touched;
  int64_t last_reported = 0;
  // The vocabulary is the tokens so far plus <|endoftext|>.
  while (static_cast<int64_t>(token_bytes.size()) + 1 < target && !queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    const uint64_t key = pair_key(top.left, top.right);
    const auto count_it = pair_count.find(key);
    const int64_t count = count_it == pair_count.end() ? 0 : count_it->second;
    if (count != top.count) {
      if (count > 0)
        queue.push({count, top.left, top.right});  // stale: requeue at its true count
      continue;
    }
    if (count <= 0)
      continue;
    std::string merged_bytes = token_bytes[top.left] + token_bytes[top.right];
    if (merged_bytes == kEndOfText) {
      pair_count[key] = -(int64_t{1} << 62);  // never merged: <|endoftext|> is the special token
      continue;
    }
    // Two different pairs can spell the same bytes ("a"+"bc", "ab"+"c"): they share one id.
    int32_t merged;
    if (const auto it = id_of_bytes.find(merged_bytes); it != id_of_bytes.end()) {
      merged = it->second;
    } else {
      merged = static_cast<int32_t>(token_bytes.size());
      id_of_bytes.emplace(merged_bytes, merged);
      token_bytes.push_back(std::move(merged_bytes));
    }
    const auto merge_index = static_cast<int32_t>(merges.size());
    merges.emplace_back(top.left, top.right);

    std::vector<int32_t> holders = std::move(pair_words[key]);
    pair_words.erase(key);
    touched.clear();
    for (const int32_t w : holders) {
      if (visited[w] == merge_index)
        continue;
      visited[w] = merge_index;
      auto& symbols = words[w];
      rewritten.clear();
      for (size_t i = 0; i < symbols.size();) {
        if (i + 1 < symbols.size() && symbols[i] == top.left && symbols[i + 1] == top.right) {
          rewritten.push_back(merged);
          i += 2;
        } else {
          rewritten.push_back(symbols[i]);
          ++i;
        }
      }
      if (rewritten.size() == symbols.size())
        continue;  // the pair had already left this word
      const int64_t f = frequency[w];
      for (size_t i = 0; i + 1 < symbols.size(); ++i)
        pair_count[pair_key(symbols[i], symbols[i + 1])] -= f;
      for (size_t i = 0; i + 1 < rewritten.size(); ++i) {
        const uint64_t new_key = pair_key(rewritten[i], rewritten[i + 1]);
        pair_count[new_key] += f;
        // Only pairs with the new token gain counts; the others only lose or stay.
        if (rewritten[i] == merged || rewritten[i + 1] == merged) {
          auto& list = pair_words[new_key];
          if (list.empty() || list.back() != w)
            list.push_back(w);
          touched.insert(new_key);
        }
      }
      symbols.assign(rewritten.begin(), rewritten.end());
    }
    pair_count.erase(key);
    for (const uint64_t new_key : touched) {
      const int64_t new_count = pair_count[new_key];
      if (new_count > 0)
        queue.push({new_count, key_left(new_key), key_right(new_key)});
    }
    const auto tokens = static_cast<int64_t>(token_bytes.size());
    if (state.options.progress && tokens - last_reported >= state.options.progress_every) {
      last_reported = tokens;
      state.options.progress(tokens + 1, target);
    }
  }

  std::vector<std::string> vocab;
  vocab.reserve(token_bytes.size() + 1);
  for (const auto& bytes : token_bytes)
    vocab.push_back(bytes_to_gpt2_alphabet(bytes));
  std::vector<std::pair<std::string, std::string>> merge_texts;
  merge_texts.reserve(merges.size());
  for (const auto& [left, right] : merges)
    merge_texts.emplace_back(vocab[left], vocab[right]);
  return BpeTokenizer(std::move(vocab), std::move(merge_texts), {kEndOfText});
}

}  // namespace zoolab
