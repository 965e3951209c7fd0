// The running daemon: load, detach, take the pid file, run the loop until SIGTERM.
#pragma once
#include "daemon/options.hpp"

namespace vigil::daemon {

// Returns the process exit status. Must be called before any thread exists (it may fork).
int run_daemon(const Options& options);

}  // namespace vigil::daemon
