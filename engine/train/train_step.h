#pragma once

// One optimizer step on one batch, shared by the trainer and `zoolab-cli bench` so that what is
// benchmarked is what trains.

#include <torch/optim/adamw.h>

#include "engine/train/batches.h"
#include "models/language_model.h"

namespace zoolab {

// Logits at the labelled positions of a batch: (N, V). With all_positions the head runs at every
// position first, as Zoology does, and the labelled rows are picked afterwards (same values).
torch::Tensor labelled_logits(LanguageModel& model, const Batch& batch, bool all_positions);

struct StepLosses {
  double loss = 0.0;       // main + auxiliary
  double main_loss = 0.0;  // cross-entropy on labelled positions
  double auxiliary_loss = 0.0;
};

// Zoology's training step (docs/reference.md#training-semantics): cross-entropy on labelled positions plus
// the mixers' auxiliary losses, backward, AdamW step.
StepLosses train_step(LanguageModel& model, torch::optim::AdamW& optimizer, const Batch& batch,
                      bool all_positions);

// Cosine annealing to 0 over max_epochs, stepped once per epoch (docs/reference.md#training-semantics); the
// closed form of PyTorch's CosineAnnealingLR, so a resumed run gets the same rate without scheduler state.
double cosine_learning_rate(double base, int64_t epoch, int64_t max_epochs);
void set_learning_rate(torch::optim::AdamW& optimizer, double learning_rate);

}  // namespace zoolab
