#pragma once

// Cross-entropy of a linear head, mean(logsumexp(h Wᵀ) - (h Wᵀ)[target]), computed block by block of
// rows so that the (N, V) logits are never materialised as a whole. With V = 8192 the full logits of
// an MQAR batch (2048 labelled positions) are 64 MiB: writing, re-reading and zero-filling them
// through log_softmax / nll_loss cost more than the matrix products themselves on 2 CPU cores.
// Backward recomputes each block's logits (one extra h Wᵀ) instead of keeping them.

#include <torch/types.h>

namespace zoolab::kernels {

// h: (N, D), weight: (V, D), targets: (N,) int64 in [0, V). Returns the scalar mean loss;
// differentiable with respect to h and weight.
torch::Tensor linear_cross_entropy(const torch::Tensor& h, const torch::Tensor& weight,
                                   const torch::Tensor& targets);

// The same with plain torch ops (materialises the logits).
torch::Tensor linear_cross_entropy_reference(const torch::Tensor& h, const torch::Tensor& weight,
                                             const torch::Tensor& targets);

}  // namespace zoolab::kernels
