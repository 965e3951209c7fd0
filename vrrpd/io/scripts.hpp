// Notify scripts, spawned and reaped without blocking the loop: posix_spawn (no fork of the
// loop's memory, safe beside the logger thread), a pidfd the loop waits on for the exit, and
// a timer that kills a script still running after its timeout.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "vrrpd/io/log.hpp"
#include "vrrpd/io/timer.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::vrrp::io {

class ScriptRunner {
 public:
  virtual ~ScriptRunner() = default;
  // argv[0] is looked up in PATH when it has no '/'. Never waits for the script.
  virtual void run(std::vector<std::string> argv, Duration timeout) = 0;
};

// keepalived's splitting of a script line: words separated by blanks; '...' and "..." quote.
std::vector<std::string> split_command(const std::string& line);

class SpawnScriptRunner final : public ScriptRunner {
 public:
  SpawnScriptRunner(boost::asio::io_context& io, TimerService& timers, Log& log);
  ~SpawnScriptRunner() override;
  SpawnScriptRunner(const SpawnScriptRunner&) = delete;
  SpawnScriptRunner& operator=(const SpawnScriptRunner&) = delete;

  void run(std::vector<std::string> argv, Duration timeout) override;
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
