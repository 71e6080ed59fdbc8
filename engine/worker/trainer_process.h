#pragma once

// Signalling a run's trainer directly (`zoolab-cli cancel` of a run that no worker watches, such as one
// started with `zoolab-cli train --config`). A run records only a pid, which on another host or after
// the trainer died may name an unrelated process, so the pid is signalled only when it is alive here and
// its command line is a zoolab trainer (`... train ...` or `... resume ...`).

#include <cstdint>

namespace zoolab {

// True when `pid` is a live zoolab trainer process on this machine.
bool is_trainer_process(int64_t pid);

// Sends SIGTERM (finish the step, checkpoint, mark the run cancelled) when is_trainer_process(pid);
// returns whether it did.
bool terminate_trainer(int64_t pid);

}  // namespace zoolab
