#pragma once

// torch::optim::AdamW's step as one fused loop per parameter.
//
// LibTorch 1.13's AdamW::step runs eight tensor ops per parameter (decay, two moment updates, sqrt,
// divide, add eps, addcdiv), each a pass over the tensor; for MQAR's 1.1 M parameters (most of them
// the 8192 × 64 word embeddings) that is ~20 MiB of memory traffic and ~160 dispatches a step. Here
// each element's decay, moments and update are computed in one pass with the same formulas
// (Loshchilov & Hutter, "Decoupled weight decay regularization", ICLR 2019; torch's AdamW):
//   p ← p · (1 − lr·wd);  m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²
//   p ← p − lr / (1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + eps)
// The moments live in the optimizer's own state, so checkpoints and state_dict are unchanged.

#include <torch/optim/adamw.h>

namespace zoolab {

// One optimizer step. The fused loop runs when every parameter with a gradient is a contiguous
// float32/float64 CPU tensor with initialised state and amsgrad is off; otherwise (the first step,
// other devices) it is optimizer.step() itself.
void adamw_step(torch::optim::AdamW& optimizer);

// The reference: optimizer.step().
void adamw_step_reference(torch::optim::AdamW& optimizer);

}  // namespace zoolab
