#pragma once

// The queued runs of a sweep (`zoolab-cli sweep` and the window's sweep dialog queue the same ones).

#include <vector>

#include "engine/config/sweep_grid.h"
#include "engine/store/store.h"

namespace zoolab {

// The queued runs of a sweep's points, every one validated as `enqueue` validates (a point that differs
// from an earlier one only outside the model shares its model check). Throws ConfigError naming the
// first invalid point, so a sweep with one bad point queues nothing.
std::vector<NewRun> sweep_run_records(const std::vector<SweepPoint>& points);

}  // namespace zoolab
