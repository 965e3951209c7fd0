// The drivers' timers as a port: the Asio one on the loop, a manual one in tests (which fires
// due timers as a test advances its ManualClock). A Timer has at most one deadline; arming it
// again replaces the deadline; a cancelled or re-armed timer never fires its old callback.
#pragma once
#include <functional>
#include <memory>

#include "base/clock.hpp"

namespace vigil {
class Urgent;
}

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
  // A timer whose expiry must not wait behind a burst of other handlers (a Master's advert
  // timer): the Asio service also fires it from run_overdue(). Elsewhere an ordinary one.
  virtual std::unique_ptr<Timer> make_urgent_timer() { return make_timer(); }

  // Precise waits (DeadlineTable::Wake::precise). An idle CPU woken by the kernel's timer
  // runs its waiter late: 0.1-1.2 ms on this project's test machines. A precise deadline is
  // waited for until spin_lead() before it, and the rest is spun. Zero: no spinning (the
  // manual service of the tests, unless a test sets a lead).
  virtual Duration spin_lead() const { return Duration::zero(); }
  struct Spin {
    TimePoint now;  // when the spin ended
    bool reached;   // at `at`; false: `stop` said input is waiting
  };
  // Busy-waits until `at`, or until `stop` (if set) returns true (asked again at `at`).
  // AsioTimerService runs the urgent timers as they come due meanwhile, and those due by the
  // time it returns.
  virtual Spin spin_until(TimePoint at, const std::function<bool()>& stop) {
    (void)stop;
    const TimePoint t = now();
    return {t, t >= at};
  }
};

// Timers as boost::asio::steady_timer on io. The clock must be the steady clock's time line
// (SteadyClock), which TimePoint is measured on.
class AsioTimerService final : public TimerService {
 public:
  AsioTimerService(boost::asio::io_context& io, const Clock& clock);
  TimePoint now() const override { return clock_.now(); }
  ~AsioTimerService() override;
  std::unique_ptr<Timer> make_timer() override;
  std::unique_ptr<Timer> make_urgent_timer() override;

  // Fires the urgent timers that are due now (their pending Asio waits then find nothing to
  // do). For base/urgent.hpp's poll(): called between the items of other code's bursts.
  // True when one fired. A clock read when none is due.
  bool run_overdue();

  // Precise waits spin the last `lead` before their deadline (zero: off; 2 ms by default).
  void set_spin_lead(Duration lead) { spin_lead_ = lead; }
  Duration spin_lead() const override { return spin_lead_; }
  // While spinning, polls `lane` (the urgent lane: due adverts go out meanwhile), or
  // run_overdue() when none is set.
  void set_spin_lane(Urgent* lane) { lane_ = lane; }
  Spin spin_until(TimePoint at, const std::function<bool()>& stop) override;

  // The urgent timers' deadlines, earliest first (internal to timer.cpp).
  struct Urgents;

 private:
  boost::asio::io_context& io_;
  const Clock& clock_;
  std::unique_ptr<Urgents> urgents_;
  Duration spin_lead_{std::chrono::milliseconds{2}};
  Urgent* lane_{nullptr};
};

}  // namespace vigil::vrrp::io
