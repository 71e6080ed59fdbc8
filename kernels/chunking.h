#pragma once

// The one reshaping every chunkwise kernel starts with (docs/reference.md#the-modern-mixers).

#include <torch/types.h>

namespace zoolab::kernels {

// (B, H, L, ...) -> (B, H, N, C, ...) with N = ⌈L / C⌉: zeros appended to L up to N·C, then L split
// into N chunks of C positions. Each kernel relies on zeros being inert in its recurrence (no key, no
// value, a log decay of 0, a learning rate of 0) and cuts its output back to L.
torch::Tensor split_into_chunks(const torch::Tensor& x, int64_t chunk);

// a (..., M, K) times b (..., K, P) -> (..., M, P), a and b of one rank, leading dimensions broadcast
// (size 1 against n): the per-chunk (or per-head) products of the chunkwise kernels as one batched
// product over all leading dimensions (kernels/batched_matmul.h: one parallel region of BLAS calls on
// the CPU, where ATen's bmm dispatches once per matrix; torch::bmm elsewhere), one autograd node.
// Differentiable, first order.
torch::Tensor chunk_matmul(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace zoolab::kernels
