#pragma once

// What an MQAR evaluation needs of the logits at the labelled positions: each position's target
// log-probability and its prediction (argmax), and the batch's cross-entropy from them. Computed in blocks of
// rows so that the log-softmax of a block stays in cache and the (N, V) log-probabilities are never
// materialised (with V = 8192 they are as large as the logits and were read twice more); on the CPU the
// blocks run in parallel, one thread each.
//
// Bit for bit the values of the plain computation, torch::log_softmax(logits, 1) gathered at the targets,
// logits.argmax(-1) and torch::nn::functional::cross_entropy(logits, targets):
// - log_softmax normalises each row on its own (ATen's CPU kernel reduces a row within one chunk of rows,
//   the CUDA kernel one row per block), so a block's rows get the values the whole tensor gives them;
// - argmax is the first maximal value (or the first NaN) whatever the order it is found in; on the CPU a
//   plain loop finds it;
// - ATen's cross_entropy is nll_loss(log_softmax(logits, 1), targets), and nll_loss reads only
//   input[i][target[i]], in order: the (N, 1) column of target log-probabilities with target 0 sums the
//   same numbers in the same order.
// tests/engine/train/test_labelled_outputs.cpp checks all three against the plain computation.

#include <torch/types.h>

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
LabelledOutputs labelled_outputs_of_hidden(const torch::Tensor& hidden, const torch::Tensor& head_weight,
                                           const torch::Tensor& targets, int64_t block_rows = 128);

// The mean cross-entropy of the rows (a 0-dim tensor), equal to cross_entropy(logits, targets).
torch::Tensor cross_entropy_of(const LabelledOutputs& outputs);

}  // namespace zoolab
