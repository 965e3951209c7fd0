// The instances' protocol timers (Adver_Timer, Master_Down_Timer, preempt_delay) in one table
// behind a single Timer of a TimerService, instead of one Timer each.
//
// A Backup's Master_Down_Timer moves later on every advert it hears: a thousand Backups move
// a thousand deadlines a second, and almost none of them ever comes due. Here a deadline is
// one slot in a flat array: arming it later is a store and a compare, nothing else. The one
// Timer waits for the earliest deadline the table had when it last looked; when it fires,
// the table scans the array (a few microseconds for thousands of slots), fires the slots that
// are due, in deadline order, and waits for the earliest of the rest. Deadlines that kept
// moving cost nothing until then: a thousand Backups hearing their Masters wake the loop about
// once per Master_Down_Interval - Advertisement_Interval, not once per instance.
// An earlier deadline re-arms the Timer at once, so nothing fires late.
//
// A precise table (the Master_Down_Timers: a takeover waits for them) wakes the lead of its
// TimerService before the earliest deadline and spins the rest (TimerService::spin_until):
// an idle CPU woken at the deadline itself runs the loop 0.1-1.2 ms late. The spin happens
// only when a deadline is really due within the lead (not at the wake-ups for deadlines that
// moved later), and stops when `input_waiting` says a packet is waiting: the loop reads it
// before the timer fires, as it would without the spin (an advert heard at the last moment
// still keeps the Backup a Backup). Spinning is budgeted: at most 20 ms at once and 2 % of
// the time (a sync group member held back re-fires its Master_Down_Timer every interval);
// past the budget a deadline is waited for as in an ordinary table.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "vrrpd/io/timer.hpp"

namespace vigil::vrrp::io {

class DeadlineTable {
 public:
  using Slot = std::uint32_t;

  enum class Wake : std::uint8_t {
    loop,     // an ordinary Timer
    urgent,   // an urgent Timer (TimerService::make_urgent_timer)
    precise,  // an ordinary Timer, woken early and the rest spun (see above)
  };
  explicit DeadlineTable(TimerService& timers, Wake wake = Wake::loop);
  DeadlineTable(const DeadlineTable&) = delete;
  DeadlineTable& operator=(const DeadlineTable&) = delete;

  // A new slot, not armed; `fire` runs when its deadline comes. Not from within a `fire`.
  Slot add(std::function<void()> fire);
  // Cancels the slot and forgets its callback; the slot may be handed out again.
  void release(Slot s);
  // (Re)arms: a slot has at most one deadline. A slot armed, cancelled or re-armed after the
  // table found it due does not fire for that deadline.
  void arm(Slot s, TimePoint at) {
    due_[s] = at;
    if (at < wake_) schedule(at);
  }
  void cancel(Slot s) { due_[s] = kNever; }
  std::optional<TimePoint> deadline(Slot s) const;
  // Precise tables: stops a spin (true: input is waiting to be read first).
  void set_input_waiting(std::function<bool()> f) { input_waiting_ = std::move(f); }
  // Spins that reached their deadline, and those input stopped.
  std::uint64_t spins() const { return spins_; }
  std::uint64_t spins_stopped() const { return spins_stopped_; }
  std::uint64_t spins_over_budget() const { return spins_over_budget_; }

 private:
  static constexpr TimePoint kNever = TimePoint::max();
  // Waits for `at`, from the lead before it when `early` (and the table is precise).
  void schedule(TimePoint at, bool early = true);
  void on_wake();

  TimerService& timers_;
  std::unique_ptr<Timer> timer_;
  Duration lead_{};             // precise: the TimerService's spin_lead(); else zero
  std::function<bool()> input_waiting_;
  std::uint64_t spins_{0}, spins_stopped_{0}, spins_over_budget_{0};
  Duration budget_{};        // spin time left; refilled at 2 % of the time, up to 20 ms
  TimePoint budget_at_{};    // when it was last refilled
  bool spend(TimePoint now, Duration spin);
  TimePoint wake_{kNever};      // the deadline timer_ waits for (from lead_ before); kNever: none
  std::vector<TimePoint> due_;  // per slot; kNever: not armed
  std::deque<std::function<void()>> fire_;  // per slot (a deque: stable while one runs)
  std::vector<Slot> free_;
  std::vector<std::pair<TimePoint, Slot>> ready_;  // the slots due at a wake-up, reused
};

}  // namespace vigil::vrrp::io
