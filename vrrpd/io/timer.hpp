// The drivers' timers as a port: the Asio one on the loop, a manual one in tests (which fires
// due timers as a test advances its ManualClock). A Timer has at most one deadline; arming it
// again replaces the deadline; a cancelled or re-armed timer never fires its old callback.
#pragma once
#include <functional>
#include <memory>

#include "base/clock.hpp"

namespace boost::asio {
class io_context;
}

namespace vigil::vrrp::io {

class Timer {
 public:
  virtual ~Timer() = default;
  virtual void arm(TimePoint at, std::function<void()> fire) = 0;
  virtual void cancel() = 0;
};

class TimerService {
 public:
  virtual ~TimerService() = default;
  virtual TimePoint now() const = 0;
  virtual std::unique_ptr<Timer> make_timer() = 0;
};

// Timers as boost::asio::steady_timer on io. The clock must be the steady clock's time line
// (SteadyClock), which TimePoint is measured on.
class AsioTimerService final : public TimerService {
 public:
  AsioTimerService(boost::asio::io_context& io, const Clock& clock) : io_(io), clock_(clock) {}
  TimePoint now() const override { return clock_.now(); }
  std::unique_ptr<Timer> make_timer() override;

 private:
  boost::asio::io_context& io_;
  const Clock& clock_;
};

}  // namespace vigil::vrrp::io
