// Notify scripts, spawned and reaped without blocking the loop: proc::spawn (posix_spawn, no
// fork of the loop's memory, safe beside the logger thread; fork only to run as another user),
// a pidfd the loop waits on for the exit, and a timer that kills a script still running
// after its timeout.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "proc/spawn.hpp"
#include "vrrpd/io/log.hpp"
#include "vrrpd/io/timer.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::vrrp::io {

// How a script ended: exit status 0 is success; anything else (a non-zero status, a signal,
// the timeout, a failure to start) is a failure.
struct ScriptExit {
  enum class How : std::uint8_t { exited, signaled, timed_out, not_started };
  How how{How::exited};
  int code{0};  // the exit status, or the signal number
  bool ok() const { return how == How::exited && code == 0; }
};
std::string to_string(const ScriptExit& e);

// Who a script runs as (script_user, a script's `user [group]`); nullopt: vigil's own user.
using RunAs = std::optional<proc::Credentials>;

class ScriptRunner {
 public:
  using OnExit = std::function<void(const ScriptExit&)>;
  virtual ~ScriptRunner() = default;
  // argv[0] is looked up in PATH when it has no '/'. Never waits for the script. on_exit (if
  // set) runs on the loop once the script has ended, been killed after timeout, or could
  // not start (then possibly from within run()).
  virtual void run(std::vector<std::string> argv, Duration timeout, OnExit on_exit, const RunAs& as) = 0;
  void run(std::vector<std::string> argv, Duration timeout, OnExit on_exit) {
    run(std::move(argv), timeout, std::move(on_exit), RunAs{});
  }
  void run(std::vector<std::string> argv, Duration timeout) {
    run(std::move(argv), timeout, nullptr, RunAs{});
  }
};

// keepalived's splitting of a script line: words separated by blanks; '...' and "..." quote.
std::vector<std::string> split_command(const std::string& line);

class SpawnScriptRunner final : public ScriptRunner {
 public:
  SpawnScriptRunner(boost::asio::io_context& io, TimerService& timers, Log& log);
  ~SpawnScriptRunner() override;
  SpawnScriptRunner(const SpawnScriptRunner&) = delete;
  SpawnScriptRunner& operator=(const SpawnScriptRunner&) = delete;

  using ScriptRunner::run;
  void run(std::vector<std::string> argv, Duration timeout, OnExit on_exit, const RunAs& as) override;
  // run(), returning the script's id while it runs (0: it could not start), for signal().
  std::uint64_t start(std::vector<std::string> argv, Duration timeout, OnExit on_exit, const RunAs& as = {});
  // Signals a running script (through its pidfd) and its process group; false if it ended.
  bool signal(std::uint64_t id, int sig);
  std::size_t running() const { return children_.size(); }

 private:
  struct Child;
  void reap(std::uint64_t id);
  void expire(std::uint64_t id);

  boost::asio::io_context& io_;
  TimerService& timers_;
  Log& log_;
  std::vector<std::unique_ptr<Child>> children_;
  std::uint64_t next_id_{1};
};

}  // namespace vigil::vrrp::io
