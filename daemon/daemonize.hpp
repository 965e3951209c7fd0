// Detaching from the terminal, keepalived-style but with an honest exit status: the process
// the operator started waits until the daemon says it is running (or has failed) and exits
// 0 or 1 accordingly, so `vigil && echo started` means what it says.
#pragma once
#include <string>

#include "base/result.hpp"

namespace vigil::daemon {

// The daemon's end of the start-up pipe. Default-constructed (running with -n) it does
// nothing. Destroyed without a verdict, the waiting process reports a failed start.
class StartupReport {
 public:
  StartupReport() = default;
  explicit StartupReport(int fd) : fd_(fd) {}
  StartupReport(StartupReport&& other) noexcept;
  StartupReport& operator=(StartupReport&& other) noexcept;
  StartupReport(const StartupReport&) = delete;
  StartupReport& operator=(const StartupReport&) = delete;
  ~StartupReport();

  // Start-up finished: stdin, stdout and stderr go to /dev/null, the waiting process exits 0.
  void ready();
  // The daemon prints its own error first (stderr is still the terminal); this only sets
  // the waiting process's exit status to 1.
  void failed();

 private:
  void send(char verdict);
  int fd_{-1};
};

// fork, setsid, fork again (the daemon can never reacquire a controlling terminal), chdir
// "/", umask 022. Returns only in the daemon; the original process exits inside with the
// daemon's verdict. Call before starting any thread. Paths must already be absolute.
Result<StartupReport, std::string> daemonize();

}  // namespace vigil::daemon
