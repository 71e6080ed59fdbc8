#pragma once

// Cross-entropy of a linear head, mean(logsumexp(h Wᵀ) - (h Wᵀ)[target]), computed block by block of
// rows so that the (N, V) logits are never materialised as a whole. With V = 8192 the full logits of
// an MQAR batch (2048 labelled positions) are 64 MiB: writing, re-reading and zero-filling them
// through log_softmax / nll_loss cost more than the matrix products themselves on 2 CPU cores.
// Backward recomputes each block's logits (one extra h Wᵀ) instead of keeping them, except on the CPU
// when the N × V logits are at most `max_stored_logits` elements: then the forward keeps
// exp(logits − row max) (64 MiB at MQAR's 2048 × 8192), written block by block of 128 rows (in float32 by
// the packed head product of kernels/packed_product.h and one pass a row of kernels/softmax_rows.h), and
// the backward is the two products E·W and Eᵀ·h of those exps, with neither the recomputed product nor a
// second exp: in float32 on an AVX-512 CPU both from one pass over the exps (kernels/dual_product.h, twice
// BLAS's speed on a row shard), else two BLAS products.

#include <torch/types.h>

namespace zoolab::kernels {

// Above this many logits (128 MiB of float32) the backward recomputes them.
constexpr int64_t kMaxStoredLogits = int64_t{1} << 25;

// h: (N, D), weight: (V, D), targets: (N,) int64 in [0, V). Returns the scalar mean loss;
// differentiable with respect to h and weight.
torch::Tensor linear_cross_entropy(const torch::Tensor& h, const torch::Tensor& weight,
                                   const torch::Tensor& targets,
                                   int64_t max_stored_logits = kMaxStoredLogits);

// The same with plain torch ops (materialises the logits).
torch::Tensor linear_cross_entropy_reference(const torch::Tensor& h, const torch::Tensor& weight,
                                             const torch::Tensor& targets);

}  // namespace zoolab::kernels
