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

  // `urgent`: behind an urgent Timer (TimerService::make_urgent_timer).
  explicit DeadlineTable(TimerService& timers, bool urgent = false);
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

 private:
  static constexpr TimePoint kNever = TimePoint::max();
  void schedule(TimePoint at);
  void on_wake();

  TimerService& timers_;
  std::unique_ptr<Timer> timer_;
  TimePoint wake_{kNever};      // what timer_ waits for; kNever: nothing
  std::vector<TimePoint> due_;  // per slot; kNever: not armed
  std::deque<std::function<void()>> fire_;  // per slot (a deque: stable while one runs)
  std::vector<Slot> free_;
  std::vector<std::pair<TimePoint, Slot>> ready_;  // the slots due at a wake-up, reused
};

}  // namespace vigil::vrrp::io
