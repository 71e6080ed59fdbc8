#pragma once

// The inspector's patterns of one sequence (docs/architecture.md#what-evaluation-records): what every layer's
// sequence mixer captured (attention probabilities per head, convolution filters, ...) and, for every mixer
// alike, the effective mixing matrix M[i, j] = ‖∂y_i/∂x_j‖_F of the layer's mixer, y = mixer(x) on this
// sequence.

#include <cstdint>
#include <vector>

#include "engine/store/records.h"
#include "models/language_model.h"

namespace zoolab {

// Above this many output rows (L·D) of a mixer, mixing_matrix estimates instead of computing exactly:
// L = 64, D = 64 is exact; a Figure 2 model at L = 512, D = 512 would need 262,144 backward rows exactly
// and 8,192 estimated, per layer and example.
inline constexpr int64_t kExactMixingRows = 4096;
// Gaussian probes per position of the estimate.
inline constexpr int64_t kMixingProbes = 16;

struct PatternOptions {
  bool mixing_matrix = true;
  // mixing_matrix's exact_rows_limit: the exact matrix costs L·D replicas of the mixer per layer, the
  // estimate L·kMixingProbes; a caller short of time lowers this.
  int64_t exact_mixing_rows = kExactMixingRows;
};

// Runs `tokens` (one sequence) through the model in eval mode and returns its patterns with
// example = `example` (run_id, step and epoch left 0 for the caller), layer = block index. Each capture
// becomes (rows, cols) records by rank: 4-D (B, H, R, C) such as "attention" one record per head h of
// batch 0; 3-D (B, R, C) such as "delta" (B, Di, L) batch 0; 2-D as is ("filter" (D, K), "selector"
// (1, L)); 1-D such as "decay" (D) one row; above 4-D batch 0 as (size(1), rest). With
// options.mixing_matrix, one "mixing" (L, L) record per layer (head -1) from the block's sequence mixer
// on the input it saw (BlockImpl::captured_mixer_input). Leaves the model in eval mode (whatever mode it
// was in) with capture off, also when it throws; never touches the global RNG or parameters' .grad.
std::vector<PatternRecord> capture_patterns(LanguageModel& model, const std::vector<int64_t>& tokens,
                                            int64_t example, const PatternOptions& options);

// The mixing matrix of one sequence mixer on one input: M[i, j] = ‖∂y_i/∂x_j‖_F with y = mixer(x),
// x: (1, L, D) -> M: (L, L), float64 on x's device. Exact when L·D <= exact_rows_limit: x is replicated
// along the batch, one replica per output (i, d), and one backward pass with a one-hot gradient per
// replica gives row (i, d) of the Jacobian, so M[i, j]² = Σ_d ‖∂y_{i,d}/∂x_j‖². Above that, an unbiased
// estimate of M² from kMixingProbes Gaussian probes v ~ N(0, I_D) per position i
// (E‖vᵀ ∂y_i/∂x_j‖² = ‖∂y_i/∂x_j‖_F²), drawn from a fixed seed so the global RNG is untouched; entries
// that are exactly zero (causality) stay exactly zero. Replicas are processed in chunks so memory stays
// bounded. Runs with gradients enabled whatever the caller's grad mode; parameters' .grad are untouched.
torch::Tensor mixing_matrix(MixerImpl& mixer, const torch::Tensor& x,
                            int64_t exact_rows_limit = kExactMixingRows);

}  // namespace zoolab
