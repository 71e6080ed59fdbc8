#pragma once

// The one reshaping every chunkwise kernel starts with (docs/reference.md#the-modern-mixers).

#include <torch/types.h>

namespace zoolab::kernels {

// (B, H, L, ...) -> (B, H, N, C, ...) with N = ⌈L / C⌉: zeros appended to L up to N·C, then L split
// into N chunks of C positions. Each kernel relies on zeros being inert in its recurrence (no key, no
// value, a log decay of 0, a learning rate of 0) and cuts its output back to L.
torch::Tensor split_into_chunks(const torch::Tensor& x, int64_t chunk);

}  // namespace zoolab::kernels
