#pragma once

// What the probe (engine/train/probe.h) returns for one sequence: plain data the Probe view draws.

#include <cstdint>
#include <vector>

#include "engine/inspect/query_records.h"
#include "engine/store/records.h"

namespace zoolab {

struct ProbeResult {
  std::vector<int64_t> tokens;
  std::vector<int64_t> labels;       // -100 where not a query
  std::vector<int64_t> predictions;  // argmax at every position
  std::vector<float> p_prediction;   // its probability
  std::vector<QueryFacts> queries;   // labelled positions, as the records describe them
  std::vector<float> p_target;       // per query: probability of its target
  std::vector<PatternRecord> patterns;
};

}  // namespace zoolab
