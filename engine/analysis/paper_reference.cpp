#include "engine/analysis/paper_reference.h"

namespace zoolab {

namespace {

// One row of the table in docs/reference.md#the-papers-values: a mixer at one sequence length,
// d_model 64..512.
struct Row {
  const char* mixer;
  int64_t seq_len;
  int64_t num_kv_pairs;
  double accuracy[4];
};

constexpr int64_t kWidths[4] = {64, 128, 256, 512};

// Transcribed row by row from that table, in its order.
constexpr Row kFigure2[] = {
    {"attention", 64, 4, {0.97, 0.97, 0.97, 0.97}},   {"base_conv", 64, 4, {0.69, 0.92, 0.94, 0.97}},
    {"h3", 64, 4, {0.91, 0.97, 0.97, 0.97}},          {"rwkv", 64, 4, {0.74, 0.92, 0.95, 0.97}},
    {"hyena", 64, 4, {0.51, 0.74, 0.83, 0.85}},       {"attention", 128, 8, {0.97, 0.97, 0.97, 0.97}},
    {"base_conv", 128, 8, {0.37, 0.61, 0.83, 0.93}},  {"h3", 128, 8, {0.25, 0.72, 0.89, 0.75}},
    {"rwkv", 128, 8, {0.18, 0.49, 0.74, 0.90}},       {"hyena", 128, 8, {0.19, 0.63, 0.72, 0.83}},
    {"attention", 256, 16, {0.97, 0.98, 0.98, 0.98}}, {"base_conv", 256, 16, {0.15, 0.34, 0.80, 0.91}},
    {"h3", 256, 16, {0.06, 0.63, 0.61, 0.66}},        {"rwkv", 256, 16, {0.06, 0.07, 0.66, 0.78}},
    {"hyena", 256, 16, {0.05, 0.14, 0.53, 0.68}},     {"attention", 512, 64, {0.98, 0.98, 0.98, 0.98}},
    {"base_conv", 512, 64, {0.02, 0.03, 0.05, 0.70}}, {"rwkv", 512, 64, {0.02, 0.03, 0.16, 0.37}},
    {"hyena", 512, 64, {0.02, 0.04, 0.11, 0.18}},     {"h3", 512, 64, {0.02, 0.03, 0.03, 0.10}},
};

}  // namespace

const std::vector<PaperAccuracy>& zoology_figure2() {
  static const std::vector<PaperAccuracy> table = [] {
    std::vector<PaperAccuracy> out;
    for (const Row& row : kFigure2) {
      for (int i = 0; i < 4; ++i) {
        out.push_back({row.mixer, row.seq_len, row.num_kv_pairs, kWidths[i], row.accuracy[i]});
      }
    }
    return out;
  }();
  return table;
}

}  // namespace zoolab
