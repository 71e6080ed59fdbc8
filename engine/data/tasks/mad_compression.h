#pragma once

// MAD's compression data (mad-lab mad/data/instances.py generate_compression_instance), generated with our
// own RNG (engine/data/rng.h). MAD trains this task with its AutoEncoder backbone
// (mad/model/auto_encoder.py: every token is reconstructed from the encoder's state at the last position);
// zoolab's backbone is a causal language model and the labels are the inputs themselves, so here the task
// measures reproducing the current token, not MAD's compression.

#include <cstdint>

#include "engine/config/run_config.h"
#include "engine/data/task_registry.h"
#include "engine/data/token_segment.h"

namespace zoolab {

// One compression segment. Throws ConfigError when the shape is impossible (no ordinary token left in the
// vocabulary, frac_noise > 0 without noise tokens).
TokenSegment generate_compression(const SegmentConfig& config, int64_t vocab_size, uint64_t seed);

// The registry's entry for "compression".
TaskSpec compression_task_spec();

}  // namespace zoolab
