// MISC_CHECK's scripts, run without blocking the loop: `/bin/sh -c COMMAND` started by
// proc::spawn (posix_spawn, or fork to run as another user) in a process group of its own,
// with stdin/stdout/stderr on /dev/null and no other descriptor inherited; a pidfd the loop
// waits on for the exit; and at the deadline a SIGKILL to the whole group (the script and
// whatever it started).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/clock.hpp"
#include "proc/spawn.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::checkers::io {

struct MiscExit {
  std::optional<int> status;  // the exit code; nullopt when killed by a signal
  bool timed_out{false};      // killed at the deadline
  std::string error;          // could not be started (then status is nullopt)
};

class MiscRunner {
 public:
  explicit MiscRunner(boost::asio::io_context& io) : io_(io) {}
  // Kills the process groups still running and reaps them (they are SIGKILLed: quick).
  ~MiscRunner();
  MiscRunner(const MiscRunner&) = delete;
  MiscRunner& operator=(const MiscRunner&) = delete;

  // `done` runs once, on the loop, when the script has been reaped (or could not start).
  // `as`: the user (and groups) it runs as; vigil's own when not given.
  std::uint64_t run(const std::string& command, TimePoint deadline, std::function<void(MiscExit)> done,
                    const std::optional<proc::Credentials>& as = std::nullopt);
  // Kills the group; the script is still reaped, silently.
  void cancel(std::uint64_t token);
  std::size_t running() const { return children_.size(); }

 private:
  struct Child;
  void watch(std::uint64_t token, const std::shared_ptr<Child>& c);
  void reap(std::uint64_t token);

  boost::asio::io_context& io_;
  std::unordered_map<std::uint64_t, std::shared_ptr<Child>> children_;
  std::uint64_t next_token_{1};
};

}  // namespace vigil::checkers::io
