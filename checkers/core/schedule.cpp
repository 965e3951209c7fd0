#include "checkers/core/schedule.hpp"

#include <algorithm>

namespace vigil::checkers {

Duration spread_offset(std::size_t index, std::size_t count, Duration window) {
  if (count <= 1 || window <= Duration::zero()) return Duration::zero();
  // floor(window * index / count), exactly and without overflowing the product.
  const auto w = static_cast<std::uint64_t>(window.count());
  const std::uint64_t i = index, n = count;
  return Duration(static_cast<Duration::rep>(w / n * i + w % n * i / n));
}

Duration warmup_offset(Duration warmup, std::uint64_t random) {
  if (warmup <= Duration::zero()) return Duration::zero();
  return Duration(static_cast<Duration::rep>(random % (static_cast<std::uint64_t>(warmup.count()) + 1)));
}

TimePoint CheckerSchedule::start(TimePoint now, Duration offset) {
  timer_at_ = now + offset;
  return *timer_at_;
}

std::optional<CheckerSchedule::Probe> CheckerSchedule::on_timer(TimePoint now) {
  if (stopped_ || in_flight_ || !timer_at_ || now < *timer_at_) return std::nullopt;
  // The phase is the time the probe was due, not when the loop got to it: a loop that
  // falls behind (a stall, a burst) must not bunch the late checkers for good.
  started_ = *timer_at_;
  timer_at_.reset();
  in_flight_ = true;
  return Probe{++probe_id_, now + policy_->timeout};
}

std::optional<CheckerSchedule::Outcome> CheckerSchedule::on_result(std::uint64_t probe, bool ok,
                                                                   TimePoint now) {
  if (stopped_ || !in_flight_ || probe != probe_id_) return std::nullopt;
  in_flight_ = false;
  Outcome o;
  // delay_loop is paced from the probe's due time, so checkers keep the phases they were
  // spread over; rounds missed entirely (a probe longer than delay_loop) are skipped, not
  // run back to back. delay_before_retry is a pause after a failure (keepalived's TCP/HTTP).
  TimePoint next_loop = started_ + policy_->delay_loop;
  if (next_loop < now && policy_->delay_loop > Duration::zero())
    next_loop += ((now - next_loop) / policy_->delay_loop + 1) * policy_->delay_loop;
  next_loop = std::max(now, next_loop);
  if (ok) {
    retry_it_ = 0;
    o.changed = !up_;
    up_ = true;
    has_run_ = true;
    o.next = next_loop;
  } else if (up_ && retry_it_ < policy_->retry) {
    // Retried only while up: a failure while down changes nothing, so the next probe waits
    // for the loop (keepalived's MISC_CHECK; its TCP_CHECK also retries while down).
    ++retry_it_;
    o.next = now + policy_->delay_before_retry;
  } else {
    retry_it_ = 0;
    o.changed = up_;
    o.confirmed_down = !up_ && !has_run_;
    up_ = false;
    has_run_ = true;
    o.next = next_loop;
  }
  timer_at_ = o.next;
  return o;
}

bool CheckerSchedule::set_level(bool ok) {
  if (stopped_) return false;
  has_run_ = true;
  const bool changed = up_ != ok;
  up_ = ok;
  return changed;
}

void CheckerSchedule::stop() {
  stopped_ = true;
  in_flight_ = false;
  timer_at_.reset();
}

}  // namespace vigil::checkers
