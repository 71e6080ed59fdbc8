#pragma once

// Hand-made per-token losses for the text views' tests, shared by test_views and test_gui.
// Two validation sequences of 12 tokens whose AR hits are known by construction:
//   sequence 0: 1 2 3 1 2 4 1 2 3 5 6 7   hits at 4 (bigram 1 2, distance 3), 7 (1 2, distance 3) and
//                                         8 (2 3, distance 6)
//   sequence 1: 8 9 8 9 8 9 0 1 2 3 4 5   hits at 3, 4, 5 (bigrams 8 9 / 9 8, distance 2)
// so 6 of the 22 predicted tokens are AR hits. Run A (an "attention" model) has loss 0.5 on every AR hit
// and 3.0 + 0.1 · position elsewhere; run B (a "convolution") 2.5 on AR hits and A's loss + 0.1
// elsewhere. The bigram training count of position i is 300 · i, so one AR hit (sequence 1, position 3:
// 900) is rare (< 1000) and five are frequent.

#include <cmath>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/text/token_losses.h"

namespace zoolab::text_fixture {

inline constexpr int64_t kSequences = 2;
inline constexpr int64_t kLength = 12;

inline const std::vector<std::vector<int32_t>>& tokens() {
  static const std::vector<std::vector<int32_t>> t{{1, 2, 3, 1, 2, 4, 1, 2, 3, 5, 6, 7},
                                                   {8, 9, 8, 9, 8, 9, 0, 1, 2, 3, 4, 5}};
  return t;
}

// (sequence, position) of every AR hit, and its distance.
inline const std::vector<std::pair<std::pair<int, int>, int>>& hits() {
  static const std::vector<std::pair<std::pair<int, int>, int>> h{{{0, 4}, 3}, {{0, 7}, 3}, {{0, 8}, 6},
                                                                  {{1, 3}, 2}, {{1, 4}, 2}, {{1, 5}, 2}};
  return h;
}

inline bool isHit(int sequence, int position) {
  for (const auto& [where, distance] : hits()) {
    if (where == std::make_pair(sequence, position)) {
      return true;
    }
  }
  return false;
}

inline float lossA(int sequence, int position) {
  return isHit(sequence, position) ? 0.5f : 3.0f + 0.1f * static_cast<float>(position);
}
inline float lossB(int sequence, int position) {
  return isHit(sequence, position) ? 2.5f : lossA(sequence, position) + 0.1f;
}

// What the tokens spell: a newline, words with their leading space, two spaces, a cut UTF-8 character.
inline std::vector<std::string> vocabulary() {
  return {"\n", "The", " cat", " sat", " down", ".", "  ", "\xe2\x80", " la", "!"};
}

inline TokenLossSet makeSet(bool runB, int64_t step = 100, const std::string& shards = {}) {
  TokenLossSet set;
  set.step = step;
  set.epoch = 1;
  set.sequences = kSequences;
  set.length = kLength;
  set.shards = shards;
  for (int s = 0; s < kSequences; ++s) {
    for (int i = 0; i < kLength; ++i) {
      set.tokens.push_back(tokens()[static_cast<size_t>(s)][static_cast<size_t>(i)]);
      set.losses.push_back(i == 0 ? std::nanf("") : (runB ? lossB(s, i) : lossA(s, i)));
      set.train_counts.push_back(i == 0 ? 0u : static_cast<uint32_t>(300 * i));
    }
  }
  return set;
}

// Mean loss of a run over the AR hits (`hitsOnly`), the other tokens (`!hitsOnly`), or all (`all`).
inline double meanLoss(bool runB, bool hitsOnly, bool all = false) {
  double sum = 0.0;
  int n = 0;
  for (int s = 0; s < kSequences; ++s) {
    for (int i = 1; i < kLength; ++i) {
      if (all || isHit(s, i) == hitsOnly) {
        sum += runB ? lossB(s, i) : lossA(s, i);
        ++n;
      }
    }
  }
  return sum / n;
}

}  // namespace zoolab::text_fixture
