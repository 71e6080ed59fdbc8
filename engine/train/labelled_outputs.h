#pragma once

// What an MQAR evaluation needs of the logits at the labelled positions: each position's target
// log-probability and its prediction (argmax), and the batch's cross-entropy from them. Computed in blocks of
// rows so that each block's logits stay in cache and the (N, V) log-probabilities are never materialised
// (with V = 8192 they are as large as the logits); on the CPU the blocks run in parallel, one thread each.
//
// On the CPU in float32 a block's logits come from kernels/packed_product.h where it runs (AVX-512), with the
// weight packed once per evaluation, else from BLAS; one pass of kernels/softmax_rows.h over the block then
// gives each row's maximum, first maximal index and Σ exp(x − max), and the target's log-probability is
// (x_t − max) − log Σ, the order ATen's log_softmax takes. That replaced log_softmax + gather + argmax,
// whose passes cost 8× as much (tests/bench/kernels/bench_softmax_rows.cpp). Elsewhere (double, GPU) the
// outputs are ATen's log_softmax gathered at the targets and argmax.
// - The logits agree with BLAS's to float rounding; the predictions are ATen's argmax of them: the first
//   maximal value, or the first NaN.
// - The target log-probabilities agree with log_softmax to float rounding (its exp and its order of sums
//   differ from ours), and the loss with cross_entropy(logits, targets), which is nll_loss of log_softmax.
// - Where the packed product runs, a row's values depend on that row alone: blocks of any size, and the
//   row shards of an evaluation (engine/train/row_shards.h), give the same bits as one block of every row.
//   Through BLAS (double, or a CPU without AVX-512) that holds as far as BLAS's products do: OpenBLAS's
//   AVX2 kernels give a row of a one-row product other last bits than the same row among many.
// tests/engine/train/test_labelled_outputs.cpp checks these against the plain computation.

#include <optional>

#include <torch/types.h>

#include "kernels/packed_product.h"

namespace zoolab {

struct LabelledOutputs {
  torch::Tensor target_log_probs;  // (N,) log_softmax(logits)[i][targets[i]]
  torch::Tensor predictions;       // (N,) int64 argmax of each row
};

// logits: (N, V); targets: (N,) int64 in [0, V). block_rows > 0.
LabelledOutputs labelled_outputs(const torch::Tensor& logits, const torch::Tensor& targets,
                                 int64_t block_rows = 64);

// The same outputs for the logits hidden · head_weightᵀ (hidden (N, D), head_weight (V, D)), each block's
// logits computed where they are used: the (N, V) logits never exist (64 MiB at MQAR's batch 512 and
// V = 8192, fresh pages for every batch), and each block's product lands in cache for the log-softmax.
// Rows of logits per block: written by the head product and read once by the softmax statistics.
constexpr int64_t kHeadBlockRows = 128;

// On the CPU in float32 where kernels/packed_product.h runs (AVX-512), the blocks' logits come from it, with
// the weight packed once: `packed` when given (evaluation packs it once for all its batches), else packed
// here.
LabelledOutputs labelled_outputs_of_hidden(const torch::Tensor& hidden, const torch::Tensor& head_weight,
                                           const torch::Tensor& targets, int64_t block_rows = kHeadBlockRows,
                                           const kernels::PackedWeight* packed = nullptr);

// The mean cross-entropy of the rows (a 0-dim tensor), equal to cross_entropy(logits, targets).
torch::Tensor cross_entropy_of(const LabelledOutputs& outputs);

}  // namespace zoolab
