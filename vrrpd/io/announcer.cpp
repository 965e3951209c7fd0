#include "vrrpd/io/announcer.hpp"

namespace vigil::vrrp::io {

Announcer::Announcer(GarpConfig config, std::vector<AnnounceTarget> targets, ArpSender& sender,
                     TimerService& timers, OnError on_error)
    : config_(config),
      targets_(std::move(targets)),
      sender_(sender),
      timers_(timers),
      on_error_(std::move(on_error)),
      timer_(timers.make_timer()) {}

void Announcer::start() { burst(config_.repeat, config_.delay); }

void Announcer::lower_priority() {
  if (config_.lower_repeat == 0) return;
  burst(config_.lower_repeat, config_.lower_delay);
}

void Announcer::burst(unsigned rounds, Duration delay) {
  stop();
  started_ = timers_.now();
  rounds_ = rounds;
  delay_ = delay;
  begin(Phase::first, rounds, started_);
}

void Announcer::stop() {
  timer_->cancel();
  phase_ = Phase::idle;
  left_ = 0;
}

void Announcer::begin(Phase phase, unsigned rounds, TimePoint at) {
  phase_ = phase;
  left_ = rounds;
  if (at <= timers_.now()) return next();
  timer_->arm(at, [this] { next(); });
}

// Sends the due round, then arms the timer for what follows it.
void Announcer::next() {
  if (left_ > 0) {
    round();
    --left_;
  }
  const TimePoint now = timers_.now();
  if (left_ > 0) {
    // Without garp_interval the rest of the burst goes out "now", but from the timer: after
    // what the loop has ready (1,000 instances taking over at once each get their address
    // and first announcement before anyone's repeats).
    return timer_->arm(now + config_.interval, [this] { next(); });
  }
  if (phase_ == Phase::first && delay_ > Duration::zero() && rounds_ > 0)
    return begin(Phase::second, rounds_, started_ + delay_);
  if (config_.refresh > Duration::zero() && config_.refresh_repeat > 0)
    return begin(Phase::refresh, config_.refresh_repeat, now + config_.refresh);
  phase_ = Phase::idle;
}

void Announcer::round() {
  for (const auto& t : targets_) {
    auto sent = sender_.announce(t.ifindex, t.address);
    if (sent) {
      ++sent_;
    } else if (on_error_) {
      on_error_(sent.error());
    }
  }
}

}  // namespace vigil::vrrp::io
