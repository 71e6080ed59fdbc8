#pragma once

// The published numbers the dashboards can pin beside ours (DashboardOptions::pin_paper), as data.
// Source: the table in docs/reference.md#the-papers-values, read off the figures of the papers' repository.
//
// What is usable as points, and what is not:
// - Zoology Figure 2 (zoology/assets/figure2.png): a complete grid (5 mixers × 4 sequence lengths × 4
//   widths, the best of 4 learning rates each), on the same task and metric as ours (valid/accuracy of
//   MQAR), so every cell is a reference point of accuracy-vs-width. Read off the plot: ±0.03.
// - Based-paper Fig. 2 (the README's recall-memory tradeoff plot): only its dashed line, the smallest
//   state reaching accuracy 0.99 (≈1.3·10⁵ bytes), is pinned, as a marker of accuracy-vs-state-size.
//   Its points are not: the papers' figures give only a handful of isolated readings (one or two per model,
//   "~" state sizes) rather than curves, and its metric is the mean accuracy over 7 test segments, which
//   none of our single-segment valid/accuracy values is. Its models (GLA, DeltaNet, Mamba-2, RWKV-7, ...)
//   are in zoolab now, so the zoology-mqar-repro sweep draws the same comparison from runs of our own. The
//   same state-size unit (bytes = 4 × floats, docs/reference.md#state-size) makes the threshold comparable.
// - Nothing the papers publish gives parameter counts or per-slice accuracies, so those dashboards pin
// nothing.

#include <cstdint>
#include <string>
#include <vector>

namespace zoolab {

struct PaperAccuracy {
  std::string mixer;  // our model label (the registry name): attention, base_conv, h3, rwkv, hyena
  int64_t seq_len = 0;
  int64_t num_kv_pairs = 0;
  int64_t d_model = 0;
  double accuracy = 0.0;
};

// Zoology Figure 2, every cell of the table in docs/reference.md#the-papers-values (80 values; "≈0.97"
// is entered as 0.97).
const std::vector<PaperAccuracy>& zoology_figure2();

// Based-paper Fig. 2: the dashed line at the smallest state size with accuracy ≥ 0.99, in bytes.
constexpr double kBasedPaperSmallestStateReaching099Bytes = 1.3e5;

}  // namespace zoolab
