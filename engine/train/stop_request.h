#pragma once

// A cooperative stop: a signal handler calls request_stop(); the trainer finishes its step,
// checkpoints and marks the run cancelled (docs/architecture.md#cancel-kill-and-resume). Lock-free atomics
// only, so the functions are async-signal-safe.

namespace zoolab {

void request_stop();
bool stop_requested();
void clear_stop_request();

// Installs request_stop() as the SIGTERM and SIGINT handler.
void install_stop_signal_handlers();

}  // namespace zoolab
