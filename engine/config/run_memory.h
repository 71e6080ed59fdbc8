#pragma once

// What a run needs in memory, estimated from its configuration alone, before a model is built or an
// example generated: a configuration of a few bytes (n_layers = 2^40, num_examples = 10^12) must be
// refused with the field to change, not found out by an allocation that the machine (no swap) cannot
// survive.
//
// The estimate is a floor, not a prediction of the peak: the weights with their gradients and AdamW's
// two moments (16 bytes a parameter), what one batch keeps for the backward pass (the residual stream
// twice per layer, the widest intermediate of one layer, one layer's attention scores) and the MQAR
// examples held in memory. A run above it cannot fit; a run below it may still be tight.

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "engine/config/run_config.h"
#include "engine/util/checked_size.h"

namespace zoolab {

struct RunMemoryEstimate {
  CheckedSize parameters;        // of the model
  CheckedSize model_bytes;       // weights, gradients and AdamW state: 16 bytes a parameter
  CheckedSize activation_bytes;  // one batch: a train batch or a test batch, whichever is larger
  CheckedSize data_bytes;        // every MQAR segment's inputs and labels (int64 each)

  CheckedSize total() const { return model_bytes + activation_bytes + data_bytes; }
};

// One MQAR segment in memory: num_examples × input_seq_len tokens, inputs and labels of 8 bytes each.
// Invalid when the product overflows.
CheckedSize segment_bytes(const SegmentConfig& segment);

// `sequence_kwargs` and `state_kwargs` are the mixers' kwargs with every default filled in
// (resolve_mixer_kwargs in models/registry.h), so that the estimate need not repeat the defaults.
RunMemoryEstimate estimate_run_memory(const RunConfig& config, const nlohmann::json& sequence_kwargs,
                                      const nlohmann::json& state_kwargs);

// Throws ConfigError when the estimate is above memory_limit_bytes(). The error names the field that
// is furthest above a typical value in the largest part of the estimate (e.g. "model.n_layers",
// "data.batch_size", "data.train[0].num_examples"), and gives the estimate, its parts and the limit.
void check_run_memory(const RunConfig& config, const nlohmann::json& sequence_kwargs,
                      const nlohmann::json& state_kwargs);

}  // namespace zoolab
