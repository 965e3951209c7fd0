// Wake-ups on tick boundaries (whole multiples of `period` on the steady clock) for the
// driver's coalesced checker timers, on a timerfd of its own.
//
// Why not an Asio timer: each arming of one is a timerfd_settime(), and when it is the
// earliest timer of the CPU the kernel reprograms the local APIC, which on a virtual machine
// is an exit to the hypervisor (~13 us measured here). 10,000 checks a second wanted a tick
// every 4 ms, and paid two of those per tick (Asio's reset after expiry, then the re-arm).
// While ticks are wanted back to back the Ticker runs its timerfd periodic: the kernel
// re-arms it from the timer interrupt and the loop pays one read() per tick. When the next
// wanted tick is further off it is re-armed once, one-shot, for that tick.
#pragma once
#include <functional>
#include <memory>

#include "base/clock.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::checkers::io {

class Ticker {
 public:
  // `on_tick` runs on the loop at each wake-up (never from inside arm()).
  Ticker(boost::asio::io_context& io, Duration period, std::function<void()> on_tick);
  ~Ticker();
  Ticker(const Ticker&) = delete;
  Ticker& operator=(const Ticker&) = delete;

  // Wake at tick `at` (rounded up to a tick boundary) or at an earlier one already set.
  // `now`: the steady clock's time, to tell a near tick (periodic) from a far one.
  void arm(TimePoint at, TimePoint now);
  // No more wake-ups until the next arm().
  void disarm();

  // For tests and state dumps: timerfd_settime() calls so far.
  std::uint64_t settimes() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace vigil::checkers::io
