// The AR-hit analysis (engine/text/ar_hits.h). The rule follows docs/reference.md#the-ar-hit-rule: the token
// at position t is an AR hit when the bigram (x_{t-1}, x_t) already ended at some position j < t of the
// same sequence; the counted token is the bigram's second one, the one the model predicts. The training
// frequency filter of the paper (~1,000-1,250) is a slice here rather than part of the rule, so both
// readings of the paper's table can be computed from one analysis.

#include "engine/text/ar_hits.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <unordered_map>

#include "engine/text/pair_key.h"

namespace zoolab {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

void check_shape(const TokenLossSet& set, const char* what) {
  if (set.sequences < 0 || set.length < 0) {
    throw std::runtime_error(std::string(what) + ": token losses with a negative shape (" +
                             std::to_string(set.sequences) + " sequences of " + std::to_string(set.length) +
                             " tokens)");
  }
  const auto count = static_cast<size_t>(set.sequences * set.length);
  if (set.tokens.size() != count || set.losses.size() != count || set.train_counts.size() != count) {
    throw std::runtime_error(
        std::string(what) + ": token losses of " + std::to_string(set.sequences) + " sequences of " +
        std::to_string(set.length) + " tokens hold " + std::to_string(set.tokens.size()) + " tokens, " +
        std::to_string(set.losses.size()) + " losses and " + std::to_string(set.train_counts.size()) +
        " training counts (expected " + std::to_string(count) + " each)");
  }
}

class SliceSum {
 public:
  explicit SliceSum(std::string name) : m_name(std::move(name)) {}
  void add(double loss) {
    ++m_tokens;
    m_sum += loss;
  }
  SliceStats stats() const {
    SliceStats s;
    s.name = m_name;
    s.tokens = m_tokens;
    s.loss_sum = m_sum;
    s.mean_loss = m_tokens > 0 ? m_sum / static_cast<double>(m_tokens) : kNaN;
    s.perplexity = std::exp(s.mean_loss);
    return s;
  }

 private:
  std::string m_name;
  int64_t m_tokens = 0;
  double m_sum = 0.0;
};

// [1, e0) when the first edge is above 1, then [e_k, e_{k+1}), then [e_last, inf).
std::vector<int64_t> distance_lower_bounds(const std::vector<int64_t>& edges) {
  for (size_t i = 0; i < edges.size(); ++i) {
    if (edges[i] < 1 || (i > 0 && edges[i] <= edges[i - 1])) {
      throw std::runtime_error("AR-hit analysis: distance_edges must be ascending and >= 1 (entry " +
                               std::to_string(i) + " is " + std::to_string(edges[i]) + ")");
    }
  }
  std::vector<int64_t> lows;
  if (edges.empty() || edges.front() > 1) {
    lows.push_back(1);
  }
  lows.insert(lows.end(), edges.begin(), edges.end());
  return lows;
}

std::string distance_name(const std::vector<int64_t>& lows, size_t bucket) {
  const int64_t lo = lows[bucket];
  if (bucket + 1 == lows.size()) {
    return "ar_hits/distance >=" + std::to_string(lo);
  }
  const int64_t hi = lows[bucket + 1] - 1;
  return "ar_hits/distance " +
         (lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi));
}

size_t distance_bucket(const std::vector<int64_t>& lows, int64_t distance) {
  size_t bucket = 0;
  while (bucket + 1 < lows.size() && distance >= lows[bucket + 1]) {
    ++bucket;
  }
  return bucket;
}

// JSON has no NaN nor infinity; an undefined number (an empty slice, nothing to share out) is null.
nlohmann::json number(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json();
}

nlohmann::json slice_json(const SliceStats& s, int64_t total) {
  return {{"name", s.name},
          {"tokens", s.tokens},
          {"share", number(total > 0 ? static_cast<double>(s.tokens) / static_cast<double>(total) : kNaN)},
          {"loss_sum", number(s.loss_sum)},
          {"mean_loss", number(s.mean_loss)},
          {"perplexity", number(s.perplexity)}};
}

}  // namespace

std::vector<ArHit> classify_ar_hits(const int32_t* tokens, int64_t length) {
  std::vector<ArHit> hits(static_cast<size_t>(std::max<int64_t>(length, 0)));
  if (length < 2) {
    return hits;
  }
  // Bigram -> position of its second token at its latest occurrence so far.
  std::unordered_map<uint64_t, int64_t> latest;
  latest.reserve(static_cast<size_t>(length));
  for (int64_t i = 1; i < length; ++i) {
    const uint64_t key = pair_key(tokens[i - 1], tokens[i]);
    const auto [it, inserted] = latest.emplace(key, i);
    if (!inserted) {
      hits[static_cast<size_t>(i)] = {true, i - it->second};
      it->second = i;
    }
  }
  return hits;
}

TextAnalysis analyze_token_losses(const TokenLossSet& set, const AnalysisOptions& options) {
  check_shape(set, "AR-hit analysis");
  const auto lows = distance_lower_bounds(options.distance_edges);
  const std::string cutoff = std::to_string(options.frequency_cutoff);
  SliceSum overall("overall"), ar_hits("ar_hits"), other("other");
  std::vector<SliceSum> by_frequency = {SliceSum("ar_hits/train_count<" + cutoff),
                                        SliceSum("ar_hits/train_count>=" + cutoff)};
  std::vector<SliceSum> by_distance;
  for (size_t b = 0; b < lows.size(); ++b) {
    by_distance.emplace_back(distance_name(lows, b));
  }

  for (int64_t s = 0; s < set.sequences; ++s) {
    const size_t base = static_cast<size_t>(s * set.length);
    const auto hits = classify_ar_hits(set.tokens.data() + base, set.length);
    for (int64_t i = 1; i < set.length; ++i) {
      const size_t at = base + static_cast<size_t>(i);
      const double loss = set.losses[at];
      if (std::isnan(loss)) {
        continue;  // no prediction recorded here
      }
      overall.add(loss);
      const ArHit& hit = hits[static_cast<size_t>(i)];
      if (!hit.hit) {
        other.add(loss);
        continue;
      }
      ar_hits.add(loss);
      by_frequency[set.train_counts[at] < options.frequency_cutoff ? 0 : 1].add(loss);
      by_distance[distance_bucket(lows, hit.distance)].add(loss);
    }
  }

  TextAnalysis analysis;
  analysis.step = set.step;
  analysis.overall = overall.stats();
  analysis.ar_hits = ar_hits.stats();
  analysis.other = other.stats();
  for (const auto& slice : by_frequency) {
    analysis.ar_hits_by_frequency.push_back(slice.stats());
  }
  for (const auto& slice : by_distance) {
    analysis.ar_hits_by_distance.push_back(slice.stats());
  }
  return analysis;
}

GapDecomposition compare_token_losses(const TokenLossSet& a, const TokenLossSet& b,
                                      const AnalysisOptions& options) {
  check_shape(a, "comparing token losses (run A)");
  check_shape(b, "comparing token losses (run B)");
  if (a.sequences != b.sequences || a.length != b.length) {
    throw std::runtime_error("comparing token losses: the runs validated on different shapes (" +
                             std::to_string(a.sequences) + " sequences of " + std::to_string(a.length) +
                             " tokens against " + std::to_string(b.sequences) + " of " +
                             std::to_string(b.length) +
                             "); compare runs trained on the same shards with the same context_length and "
                             "valid_sequences");
  }
  for (size_t at = 0; at < a.tokens.size(); ++at) {
    if (a.tokens[at] != b.tokens[at]) {
      const auto length = static_cast<size_t>(a.length);
      throw std::runtime_error("comparing token losses: the runs validated on different tokens (sequence " +
                               std::to_string(at / length) + ", position " + std::to_string(at % length) +
                               ": token " + std::to_string(a.tokens[at]) + " against " +
                               std::to_string(b.tokens[at]) +
                               "); compare runs trained on the same shards (same tokenizer and split)");
    }
  }

  // Only positions both runs predicted count, so the two means cover the same tokens.
  int64_t tokens = 0, hit_tokens = 0, rare_hit_tokens = 0;
  double sum_a = 0.0, sum_b = 0.0;
  GapDecomposition gap;
  for (int64_t s = 0; s < a.sequences; ++s) {
    const size_t base = static_cast<size_t>(s * a.length);
    const auto hits = classify_ar_hits(a.tokens.data() + base, a.length);
    for (int64_t i = 1; i < a.length; ++i) {
      const size_t at = base + static_cast<size_t>(i);
      const double la = a.losses[at];
      const double lb = b.losses[at];
      if (std::isnan(la) || std::isnan(lb)) {
        continue;
      }
      ++tokens;
      sum_a += la;
      sum_b += lb;
      const double difference = la - lb;
      gap.loss_difference_sum += difference;
      if (hits[static_cast<size_t>(i)].hit) {
        ++hit_tokens;
        gap.ar_hits_difference_sum += difference;
        if (a.train_counts[at] < options.frequency_cutoff) {
          ++rare_hit_tokens;
          gap.rare_ar_hits_difference_sum += difference;
        }
      } else {
        gap.other_difference_sum += difference;
      }
    }
  }
  if (tokens == 0) {
    gap.perplexity_gap = kNaN;
    gap.gap_share_ar_hits = kNaN;
    gap.ar_hit_token_share = kNaN;
    gap.gap_share_rare_ar_hits = kNaN;
    gap.rare_ar_hit_token_share = kNaN;
    return gap;
  }
  const auto n = static_cast<double>(tokens);
  gap.perplexity_gap = std::exp(sum_a / n) - std::exp(sum_b / n);
  gap.gap_share_ar_hits =
      gap.loss_difference_sum != 0.0 ? gap.ar_hits_difference_sum / gap.loss_difference_sum : kNaN;
  gap.ar_hit_token_share = static_cast<double>(hit_tokens) / n;
  gap.gap_share_rare_ar_hits =
      gap.loss_difference_sum != 0.0 ? gap.rare_ar_hits_difference_sum / gap.loss_difference_sum : kNaN;
  gap.rare_ar_hit_token_share = static_cast<double>(rare_hit_tokens) / n;
  return gap;
}

nlohmann::json to_json(const TextAnalysis& analysis) {
  const int64_t total = analysis.overall.tokens;
  nlohmann::json by_frequency = nlohmann::json::array();
  for (const auto& s : analysis.ar_hits_by_frequency) {
    by_frequency.push_back(slice_json(s, total));
  }
  nlohmann::json by_distance = nlohmann::json::array();
  for (const auto& s : analysis.ar_hits_by_distance) {
    by_distance.push_back(slice_json(s, total));
  }
  return {{"step", analysis.step},
          {"overall", slice_json(analysis.overall, total)},
          {"ar_hits", slice_json(analysis.ar_hits, total)},
          {"other", slice_json(analysis.other, total)},
          {"ar_hits_by_frequency", by_frequency},
          {"ar_hits_by_distance", by_distance}};
}

nlohmann::json to_json(const GapDecomposition& gap) {
  return {{"perplexity_gap", number(gap.perplexity_gap)},
          {"loss_difference_sum", number(gap.loss_difference_sum)},
          {"ar_hits_difference_sum", number(gap.ar_hits_difference_sum)},
          {"other_difference_sum", number(gap.other_difference_sum)},
          {"gap_share_ar_hits", number(gap.gap_share_ar_hits)},
          {"ar_hit_token_share", number(gap.ar_hit_token_share)},
          {"rare_ar_hits_difference_sum", number(gap.rare_ar_hits_difference_sum)},
          {"gap_share_rare_ar_hits", number(gap.gap_share_rare_ar_hits)},
          {"rare_ar_hit_token_share", number(gap.rare_ar_hit_token_share)}};
}

}  // namespace zoolab
