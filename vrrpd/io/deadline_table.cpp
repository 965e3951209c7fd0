#include "vrrpd/io/deadline_table.hpp"

#include <algorithm>

namespace vigil::vrrp::io {

DeadlineTable::DeadlineTable(TimerService& timers, Wake wake)
    : timers_(timers),
      timer_(wake == Wake::urgent ? timers.make_urgent_timer() : timers.make_timer()),
      lead_(wake == Wake::precise ? timers.spin_lead() : Duration::zero()) {}

DeadlineTable::Slot DeadlineTable::add(std::function<void()> fire) {
  if (!free_.empty()) {
    const Slot s = free_.back();
    free_.pop_back();
    due_[s] = kNever;
    fire_[s] = std::move(fire);
    return s;
  }
  due_.push_back(kNever);
  fire_.push_back(std::move(fire));
  return static_cast<Slot>(due_.size() - 1);
}

void DeadlineTable::release(Slot s) {
  due_[s] = kNever;
  fire_[s] = nullptr;
  free_.push_back(s);
}

std::optional<TimePoint> DeadlineTable::deadline(Slot s) const {
  if (due_[s] == kNever) return std::nullopt;
  return due_[s];
}

// The spin budget: full at the first spin, then 1 ms more per 50 ms, up to 20 ms.
bool DeadlineTable::spend(TimePoint now, Duration spin) {
  constexpr Duration kBurst = std::chrono::milliseconds{20};
  budget_ = budget_at_ == TimePoint{} ? kBurst : std::min(kBurst, budget_ + (now - budget_at_) / 50);
  budget_at_ = now;
  if (budget_ < spin) return false;
  budget_ -= spin;
  return true;
}

void DeadlineTable::schedule(TimePoint at, bool early) {
  wake_ = at;
  timer_->arm(early ? at - lead_ : at, [this] { on_wake(); });
}

// One pass over the array: the due slots are collected (then fired in deadline order, ties in
// slot order), the earliest of the others is the next wake-up. A callback may arm or cancel
// any slot: one it re-armed or cancelled before its turn is skipped, an earlier deadline it
// sets re-arms the Timer through arm().
void DeadlineTable::on_wake() {
  wake_ = kNever;
  TimePoint now = timers_.now();
  if (lead_ > Duration::zero() && !due_.empty()) {
    const TimePoint first = *std::min_element(due_.begin(), due_.end());
    if (first > now && first - now <= lead_) {
      // Over budget, or the spin stopped early (input came: the loop reads it first; or the
      // clock did not move): the deadline is then waited for exactly.
      const bool afford = spend(now, first - now);
      const auto spin = afford ? timers_.spin_until(first, input_waiting_) : TimerService::Spin{now, false};
      if (!spin.reached) {
        ++(afford ? spins_stopped_ : spins_over_budget_);
        if (first < wake_) schedule(first, false);
        return;
      }
      ++spins_;
      now = spin.now;
    }
  }
  ready_.clear();
  TimePoint next = kNever;
  for (Slot s = 0; s < due_.size(); ++s) {
    const TimePoint at = due_[s];
    if (at <= now) ready_.emplace_back(at, s);
    else next = std::min(next, at);
  }
  if (next != kNever) schedule(next);
  std::sort(ready_.begin(), ready_.end());
  // The Timer never fires from within arm(): no callback runs on_wake() again meanwhile.
  for (const auto& [at, s] : ready_) {
    if (due_[s] != at) continue;
    due_[s] = kNever;
    if (fire_[s]) fire_[s]();
  }
}

}  // namespace vigil::vrrp::io
