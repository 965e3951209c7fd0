// keepalived's notify_fifo / vrrp_notify_fifo: one line per state change, in order,
//   INSTANCE "VI_1" MASTER 100
//   GROUP "G1" BACKUP 0
// (the instance's effective priority; 0 for a group; STOP when an instance stops). The line
// format and the bounded queue are pure; the port is what the drivers write to.
#pragma once
#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "vrrpd/proto/router.hpp"

namespace vigil::vrrp::io {

enum class FifoSubject : std::uint8_t { instance, group };

// keepalived's state word: MASTER, BACKUP, FAULT, and STOP for a stopped instance (INIT).
std::string_view fifo_state_word(State s);
// The line, newline included: `INSTANCE "VI_1" MASTER 100\n`.
std::string fifo_line(FifoSubject subject, std::string_view name, State state, int priority);

// The port: Instances and SyncGroups hand it their lines in the order of their state changes.
// Implementations never block the caller.
class NotifyFifo {
 public:
  virtual ~NotifyFifo() = default;
  virtual void write(std::string line) = 0;
};

// Lines waiting for room in the pipe: at most `max_lines` and `max_bytes`; a line that would
// exceed either is refused (counted in dropped()). Order is kept.
class FifoQueue {
 public:
  FifoQueue(std::size_t max_lines, std::size_t max_bytes) : max_lines_(max_lines), max_bytes_(max_bytes) {}
  bool push(std::string line);
  bool empty() const { return lines_.empty(); }
  std::size_t size() const { return lines_.size(); }
  const std::string& front() const { return lines_.front(); }
  void pop();
  std::uint64_t dropped() const { return dropped_; }

 private:
  std::size_t max_lines_, max_bytes_;
  std::size_t bytes_{0};
  std::deque<std::string> lines_;
  std::uint64_t dropped_{0};
};

}  // namespace vigil::vrrp::io
