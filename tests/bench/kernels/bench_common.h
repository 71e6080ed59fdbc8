#pragma once

// Shared set-up of the kernel benchmarks: every kernel is timed forward + backward against its
// plain-torch reference at the same sizes, with all cores (LibTorch starts with one thread).

#include <thread>

#include <benchmark/benchmark.h>
#include <torch/torch.h>

namespace zoolab::bench {

inline void use_all_cores() {
  static const bool once = [] {
    torch::set_num_threads(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
    return true;
  }();
  (void)once;
}

// Runs `step` (forward + backward of one kernel call) once per iteration; counts sequence positions
// per second so kernel and reference read side by side.
template <typename Step>
void run_timed(benchmark::State& state, int64_t positions, Step&& step) {
  use_all_cores();
  step();  // warm-up: allocations, thread pool
  for (auto _ : state) {
    step();
  }
  state.SetItemsProcessed(state.iterations() * positions);
}

}  // namespace zoolab::bench
