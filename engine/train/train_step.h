#pragma once

// One optimizer step on one batch, shared by the trainer and `zoolab-cli bench` so that what is
// benchmarked is what trains.

#include <functional>

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

// One rank's part of a data-parallel step (engine/train/distributed_tensors.h): its loss is its share of
// the global batch's, and its gradients are summed over the ranks before the optimizer step.
struct StepShare {
  double loss_scale = 1.0;       // multiplies the main loss: this rank's labelled positions / the batch's
  double auxiliary_scale = 1.0;  // multiplies the auxiliary loss: this rank's rows / the batch's
  std::function<void()> reduce;  // after backward, before clipping and the optimizer step
};

// Zoology's training step (docs/reference.md#training-semantics): cross-entropy on labelled positions plus
// the mixers' auxiliary losses, backward, AdamW step. With `share` the losses returned are this rank's
// scaled share (their sum over the ranks is the batch's); a batch of 0 rows only takes part in the reduce.
StepLosses train_step(LanguageModel& model, torch::optim::AdamW& optimizer, const Batch& batch,
                      bool all_positions, const StepShare* share = nullptr);

// Cosine annealing to 0 over max_epochs, stepped once per epoch (docs/reference.md#training-semantics); the
// closed form of PyTorch's CosineAnnealingLR, so a resumed run gets the same rate without scheduler state.
double cosine_learning_rate(double base, int64_t epoch, int64_t max_epochs);
void set_learning_rate(torch::optim::AdamW& optimizer, double learning_rate);

}  // namespace zoolab
