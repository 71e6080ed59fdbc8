#pragma once

// The Probe view's engine: a run's checkpoint loaded once, then any token sequence run through
// it for predictions and patterns. No torch in this header: the GUI runs it on a worker thread.
// One Probe must not be used from two threads at once.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/config/run_config.h"
#include "engine/inspect/probe_result.h"

namespace zoolab {

class Store;

class Probe {
 public:
  // Loads the latest checkpoint of `run`; throws std::runtime_error naming the run when it has none.
  Probe(Store& store, int64_t run);
  // Loads a checkpoint file written for `config`.
  Probe(const RunConfig& config, const std::string& checkpoint_path);
  ~Probe();
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  const RunConfig& config() const;
  int64_t epoch() const;  // completed epochs of the loaded checkpoint

  // An MQAR example drawn with the settings of test segment `segment` and `seed` (inputs, labels).
  std::pair<std::vector<int64_t>, std::vector<int64_t>> generate(int64_t segment, uint64_t seed) const;

  // Throws std::invalid_argument for an empty sequence, one longer than the model accepts, or a token
  // outside [0, vocab_size), naming it.
  ProbeResult run(const std::vector<int64_t>& tokens, const std::vector<int64_t>& labels, bool mixing_matrix);

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace zoolab
