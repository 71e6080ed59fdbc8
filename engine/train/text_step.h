#pragma once

// One optimizer step of a text run and its validation pass: cross-entropy at every position,
// gradient clipping by global norm, per-token validation losses for the AR-hit analysis.

#include <cstdint>
#include <vector>

#include <torch/optim/adamw.h>

#include "engine/train/text_batches.h"
#include "engine/train/train_step.h"
#include "models/language_model.h"

namespace zoolab {

struct TextStepResult {
  double loss = 0.0;       // cross-entropy (plus the mixers' auxiliary losses, if any)
  double grad_norm = 0.0;  // global L2 norm of the gradients before clipping
};

// zero_grad, forward, mean cross-entropy over the B·L positions, backward, clip the global gradient norm
// to `gradient_clip` when it is > 0 (torch's clip_grad_norm_), AdamW step.
// With `share` (data parallel, engine/train/distributed_tensors.h) the loss is this rank's share of the
// batch's and the gradients are summed over the ranks before they are clipped (grad_norm is then the
// global one); a batch of 0 rows only takes part in the reduce.
TextStepResult text_train_step(LanguageModel& model, torch::optim::AdamW& optimizer, const TextBatch& batch,
                               double gradient_clip, const StepShare* share = nullptr);

// The loss of every predicted position of `batch`: (B, L) float32 on the CPU, row-major; entry [b, i]
// is the loss of predicting targets[b, i] = window[i + 1] from window[0..i]. Runs under NoGradGuard
// with the model in eval mode.
std::vector<float> text_token_losses(LanguageModel& model, const TextBatch& batch);

}  // namespace zoolab
