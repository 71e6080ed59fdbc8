#pragma once

// `--set PATH=VALUE` on the command line: one-off changes to a configuration without copying it,
// e.g. `zoolab-cli train --preset fig2-base_conv-L64-d64 --set train.learning_rate=2.15e-3`.
// Paths are the sweep grid's (engine/config/sweep_grid.h), so `--set` is a one-point sweep: the same
// fields can be set, with the same errors, and the run is named the way a sweep would name it.

#include <string>
#include <vector>

#include "engine/config/run_config.h"

namespace zoolab {

// Applies each "PATH=VALUE" in order. VALUE is read as JSON when it parses (128, 2e-3, true,
// [3, -1], "text") and as a plain string otherwise (so name=hyena needs no quotes). The result is
// validated as strictly as a configuration file, and its name gets the sweep suffix
// ("fig2-base_conv-L64-d64-learning_rate=0.00215"). No assignments: `config` unchanged.
//
// Throws ConfigError naming the path (or "--set" for an assignment without '='), e.g. for a field the
// configuration does not have, a value of the wrong type, or a path given twice.
RunConfig with_overrides(const RunConfig& config, const std::vector<std::string>& assignments);

}  // namespace zoolab
