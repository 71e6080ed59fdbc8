#pragma once

// The record a run is queued with: what `enqueue`, `sweep`, `train` and the window's Enqueue button store
// before a worker (or the command itself) trains it.

#include "engine/config/run_config.h"
#include "engine/store/store.h"

namespace zoolab {

// A new run's record for this configuration (name, task, sequence mixer, full config JSON, seed). A text
// run's shards path is made absolute first: workers do not share the caller's working directory.
NewRun new_run_record(const RunConfig& config, RunStatus status = RunStatus::Queued);

}  // namespace zoolab
