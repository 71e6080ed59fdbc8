#pragma once

// The AR-hit analysis of the paper's first finding (docs/reference.md#the-ar-hit-rule): a token is
// an AR hit when the bigram (previous token, token) already occurred earlier in the same sequence. Losses
// are sliced into overall / AR hits / other tokens, AR hits by the bigram's training frequency and by the
// distance to its previous occurrence; between two runs, the share of the summed loss difference that
// falls on AR hits. No torch, no Qt: the CLI (`zoolab-cli analyze`) and the views share it.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/text/token_losses.h"

namespace zoolab {

// For position i of a sequence: is (tokens[i-1], tokens[i]) an earlier bigram of the same sequence, and
// how far back (i minus the position of the latest earlier occurrence's second token; 0 when no hit).
// Position 0 is never a hit.
struct ArHit {
  bool hit = false;
  int64_t distance = 0;
};
std::vector<ArHit> classify_ar_hits(const int32_t* tokens, int64_t length);

struct SliceStats {
  std::string name;  // "overall", "ar_hits", "other", "ar_hits/train_count<1000", "ar_hits/distance 1-15"...
  int64_t tokens = 0;
  double loss_sum = 0.0;
  double mean_loss = 0.0;   // NaN when tokens == 0
  double perplexity = 0.0;  // exp(mean_loss)
};

struct AnalysisOptions {
  uint64_t frequency_cutoff = 1000;  // the paper's cut-off between rare and frequent bigrams (~1,000-1,250)
  std::vector<int64_t> distance_edges = {1, 16, 64, 256};  // buckets [1,16) [16,64) [64,256) [256,∞)
};

struct TextAnalysis {
  int64_t step = 0;
  SliceStats overall, ar_hits, other;
  std::vector<SliceStats> ar_hits_by_frequency;  // below and at-or-above the cut-off
  std::vector<SliceStats> ar_hits_by_distance;
};

TextAnalysis analyze_token_losses(const TokenLossSet& set, const AnalysisOptions& options = {});

// Run A against run B on the same validation tokens (throws naming the first differing position or
// shape otherwise). Differences are A minus B.
struct GapDecomposition {
  double perplexity_gap = 0.0;       // exp(mean loss A) - exp(mean loss B), overall
  double loss_difference_sum = 0.0;  // Σ (loss A - loss B) over every predicted token
  double ar_hits_difference_sum = 0.0;
  double other_difference_sum = 0.0;
  double gap_share_ar_hits = 0.0;   // ar_hits_difference_sum / loss_difference_sum (NaN when it is 0)
  double ar_hit_token_share = 0.0;  // the AR hits' share of the tokens, for comparison
  // The paper's heuristic AR hit is a repeated bigram whose training count is below the cut-off
  // ("repeated bigram with training frequency <= 1250", docs/reference.md#the-ar-hit-rule): the same share
  // for those alone (AnalysisOptions::frequency_cutoff).
  double rare_ar_hits_difference_sum = 0.0;
  double gap_share_rare_ar_hits = 0.0;
  double rare_ar_hit_token_share = 0.0;
};
GapDecomposition compare_token_losses(const TokenLossSet& a, const TokenLossSet& b,
                                      const AnalysisOptions& options = {});

// `zoolab-cli analyze --json`: {"step", "overall": {tokens, perplexity, mean_loss}, "ar_hits", "other",
// "ar_hits_by_frequency": [...], "ar_hits_by_distance": [...]}.
nlohmann::json to_json(const TextAnalysis& analysis);
nlohmann::json to_json(const GapDecomposition& gap);

}  // namespace zoolab
