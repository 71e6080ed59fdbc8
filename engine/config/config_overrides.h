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

// How a value set by `--set` or a sweep reads in the run's name ("...-<key>=<this>"). Strings, numbers,
// booleans and short lists of them read as they are ("hyena", "0.002", "[3,-1]"). An object or a longer
// list would put its whole JSON into the name, so it reads as a short summary: an object's "name"
// ("attention"), a list of named objects' names ("attention+base_conv"), else the keys set
// ("{l_max,kernel_size}") or the list's length ("list5"), followed by "~" and six hex digits of the whole
// value ("hybrid~3fa2c1"), so different values never name two runs of a sweep alike (a sweep skips the
// points whose names it already has). An object that is only a name ({"name": "attention"} or with
// empty kwargs) needs no digits. The configuration keeps the full value.
std::string value_name_text(const nlohmann::json& value);

}  // namespace zoolab
