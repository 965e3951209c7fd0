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

void Announcer::start() {
  stop();
  started_ = timers_.now();
  begin(Phase::first, config_.repeat, started_);
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
    if (config_.interval <= Duration::zero()) return next();
    return timer_->arm(now + config_.interval, [this] { next(); });
  }
  if (phase_ == Phase::first && config_.delay > Duration::zero() && config_.repeat > 0)
    return begin(Phase::second, config_.repeat, started_ + config_.delay);
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
