// The drivers' logging port. io/ does not know the daemon's Logger; the daemon adapts it.
// Implementations must not block the caller (the daemon's Logger only queues).
#pragma once
#include <cstdint>
#include <string>
#include <utility>

#include "base/clock.hpp"

namespace vigil::vrrp::io {

// syslog's order, the same as the daemon's LogLevel.
enum class Severity : std::uint8_t { error, warning, notice, info, debug };

class Log {
 public:
  virtual ~Log() = default;
  virtual bool enabled(Severity s) const = 0;
  virtual void write(Severity s, std::string message) = 0;
};

// At most `burst` messages per `window`; the rest are counted as suppressed. For DEBUG logs of
// dropped packets, which a peer (or an attacker) controls the rate of.
class RateLimit {
 public:
  RateLimit(unsigned burst, Duration window) : burst_(burst), window_(window) {}
  // Whether to log now. suppressed() tells how many were refused since the last allowed one.
  bool allow(TimePoint now) {
    if (now - window_start_ >= window_) {
      window_start_ = now;
      used_ = 0;
    }
    if (used_ < burst_) {
      ++used_;
      return true;
    }
    ++suppressed_;
    return false;
  }
  std::uint64_t take_suppressed() { return std::exchange(suppressed_, 0); }

 private:
  unsigned burst_;
  Duration window_;
  TimePoint window_start_{};
  unsigned used_{0};
  std::uint64_t suppressed_{0};
};

}  // namespace vigil::vrrp::io
