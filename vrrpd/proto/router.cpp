#include "vrrpd/proto/router.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <utility>

namespace vigil::vrrp {
namespace {

std::size_t index(TimerId t) { return static_cast<std::size_t>(t); }

void validate(const RouterConfig& c) {
  auto fail = [](const char* what) {
    throw std::invalid_argument(std::string("vrrp router config: ") + what);
  };
  const auto cs = c.advertisement_interval.count();
  if (c.vrid == 0) fail("vrid must be 1..255");
  if (c.priority == 0) fail("priority must be 1..255");
  if (c.version == Version::v3 && (cs < 1 || cs > kMaxAdverIntV3.count()))
    fail("v3 advertisement interval must be 1..4095 cs");
  if (c.version == Version::v2 && (cs < 100 || cs > kMaxAdverIntV2.count() || cs % 100 != 0))
    fail("v2 advertisement interval must be 1..255 whole seconds");
  if (c.version == Version::v2 && c.primary_address.is_v6()) fail("v2 is IPv4 only");
  if (c.addresses.size() > 255) fail("at most 255 addresses per advert");
  for (const auto& a : c.addresses)
    if (a.family() != c.primary_address.family()) fail("addresses of mixed families");
  if (c.preempt_delay < Duration::zero()) fail("negative preempt_delay");
  if (c.auth.type == AuthType::ah) fail("AH authentication is not supported");
}

}  // namespace

Router::Router(RouterConfig config)
    : config_(std::move(config)),
      priority_(config_.priority),
      master_adver_interval_(config_.advertisement_interval) {
  validate(config_);
}

Actions Router::step(const Input& input, TimePoint now) {
  Actions out;
  step(input, now, out);
  return out;
}

void Router::step(const Input& input, TimePoint now, Actions& out) {
  out.clear();
  std::visit([&](const auto& in) { on(in, now, out); }, input);
}

// ---- RFC 5798 §6.1 derived parameters ----

Duration Router::skew_time() const {
  const int weight = 256 - priority_;
  // RFC 3768 §6.1: Skew_Time = ((256 - Priority) / 256), in seconds (not truncated).
  if (config_.version == Version::v2) return Duration{std::chrono::seconds{weight}} / 256;
  // RFC 5798 §6.1: Skew_Time = (((256 - priority) * Master_Adver_Interval) / 256), in
  // centiseconds with integer division, as keepalived computes it.
  return Centiseconds{(weight * master_adver_interval_.count()) / 256};
}

Duration Router::master_down_interval() const {
  // RFC 5798 §6.1 / RFC 3768 §6.1: Master_Down_Interval = (3 * Master_Adver_Interval) +
  // Skew_time. v2 has no learned interval: Master_Adver_Interval stays our own.
  return 3 * Duration{master_adver_interval_} + skew_time();
}

std::optional<TimePoint> Router::deadline(TimerId t) const { return deadlines_[index(t)]; }

// Adver_Timer: Advertisement_Interval from now, rounded down to a grid of 1/100 of it (10 ms
// for 1 s, 100 us for 10 ms). An advert is never late, at most 1% early; and the instances of
// a host that became Master at about the same time advertise at the same instants, so the
// loop wakes once for all of them instead of once each (1,000 instances: 1,000 wake-ups a
// second on both sides become a few).
TimePoint Router::next_advert(TimePoint now) const {
  const Duration interval = config_.advertisement_interval;
  const Duration grid = interval / 100;
  const TimePoint next = now + interval;
  if (grid <= Duration::zero()) return next;
  const TimePoint aligned{(next.time_since_epoch() / grid) * grid};
  return aligned > now ? aligned : next;
}

// A new Master's first Adver_Timer: rounded down to a tenth of the interval (at most 10%
// early, once; the next ones keep the finer grid above). Instances that became Master within
// a few hundred milliseconds of each other (a host starting, a takeover of a thousand) then
// advertise at two or three instants per interval instead of dozens: the loops of the Master
// and of its Backups wake that much less, and the sends go out in fuller batches.
TimePoint Router::first_advert(TimePoint now) const {
  const Duration interval = config_.advertisement_interval;
  const Duration grid = interval / 10;
  const TimePoint next = now + interval;
  const TimePoint aligned{(next.time_since_epoch() / grid) * grid};
  return aligned > now ? aligned : next;
}

Advert Router::advert(std::uint8_t priority) const {
  Advert a;
  a.version = config_.version;
  a.vrid = config_.vrid;
  a.priority = priority;
  a.max_adver_int = config_.advertisement_interval;
  a.addresses = config_.addresses;
  if (config_.version == Version::v2) {
    a.auth_type = config_.auth.type;
    if (a.auth_type == AuthType::pass) a.auth_data = config_.auth.data;
  }
  return a;
}

// ---- events ----

void Router::on(const Startup&, TimePoint now, Actions& out) {
  if (state_ != State::initialize) return;
  if (faulted_) return transition(State::fault, Reason::fault_raised, out);
  start(owner() ? Reason::startup_owner : Reason::startup, now, out);
}

// RFC 5798 §6.4.2 / §6.4.3: If a Shutdown event is received ... Transition to {Initialize}.
void Router::on(const Shutdown&, TimePoint, Actions& out) {
  if (state_ == State::initialize) return;
  const State from = state_;
  transition(State::initialize, Reason::shutdown, out);
  if (from == State::master) {
    // §6.4.3: Send an ADVERTISEMENT with Priority = 0. First, as keepalived ("sent 0
    // priority", then "removing VIPs"): the Backup waits Skew_Time before it takes over
    // anyway, and 1,000 instances' handoffs do not wait for 1,000 address removals.
    cancel(TimerId::adver, out);
    out.push_back(SendAdvert{0});
    leave_master(out);
  }
  cancel_all(out);
}

void Router::on(const AdvertReceived& in, TimePoint now, Actions& out) {
  if (state_ != State::backup && state_ != State::master) return;  // nobody listening
  if (auto why = check(in)) {
    out.push_back(AdvertDiscarded{*why});
    return;
  }
  if (state_ == State::backup) return on_advert_in_backup(in.advert, now, out);
  on_advert_in_master(in.advert, in.src, now, out);
}

// RFC 5798 §6.4.2: If the Master_Down_Timer fires ... Transition to the {Master} state.
void Router::on(const MasterDownTimerExpired&, TimePoint now, Actions& out) {
  if (state_ != State::backup || !expire(TimerId::master_down, now)) return;
  want_master(Reason::master_down_timer, now, out);
}

// keepalived vrrp_sync_can_goto_master: a member becomes Master only when every member
// wants to ("prefer backup state to avoid thrashing"). Until the group says so it stays in
// Backup with Master_Down_Timer re-armed, and asks again when that fires.
void Router::want_master(Reason why, TimePoint now, Actions& out) {
  if (!config_.sync_group) return become_master(why, now, out);
  wants_master_ = true;
  arm(TimerId::master_down, now + master_down_interval(), out);
  out.push_back(RequestMaster{});
}

void Router::on(const GroupMaster&, TimePoint now, Actions& out) {
  if (state_ != State::backup) return;
  become_master(Reason::sync_group, now, out);
}

void Router::on(const GroupBackup&, TimePoint now, Actions& out) {
  if (state_ != State::master) return;
  become_backup(Reason::sync_group, now, out);
}

// RFC 5798 §6.4.3: If the Adver_Timer fires, Send an ADVERTISEMENT, Reset the Adver_Timer.
void Router::on(const AdverTimerExpired&, TimePoint now, Actions& out) {
  if (state_ != State::master || !expire(TimerId::adver, now)) return;
  out.push_back(SendAdvert{priority_});
  arm(TimerId::adver, next_advert(now), out);
}

// keepalived preempt_delay: once it has run out, a lower-priority Master is preempted. We
// take over at once rather than waiting for Master_Down_Timer: the outcome is the same (the
// old Master hears us and steps down, §6.4.3) and the delay is the one configured.
void Router::on(const PreemptDelayExpired&, TimePoint now, Actions& out) {
  if (state_ != State::backup || !expire(TimerId::preempt_delay, now)) return;
  preempt_delay_ = PreemptDelay::elapsed;
  if (master_priority_ && *master_priority_ != 0 && *master_priority_ < priority_)
    want_master(Reason::preempt_delay, now, out);
}

// keepalived FAULT: stop taking part. A Master releases its addresses and hands off with
// priority 0 like a Shutdown (the send fails harmlessly if the link is what went down).
void Router::on(const FaultRaised&, TimePoint, Actions& out) {
  if (std::exchange(faulted_, true)) return;
  if (state_ == State::initialize || state_ == State::fault) return;
  const State from = state_;
  transition(State::fault, Reason::fault_raised, out);
  if (from == State::master) {
    cancel(TimerId::adver, out);
    out.push_back(SendAdvert{0});
    leave_master(out);
  }
  cancel_all(out);
}

// Leaving FAULT is a fresh §6.4.1 Startup: the owner becomes Master, others Backup.
void Router::on(const FaultCleared&, TimePoint now, Actions& out) {
  if (!std::exchange(faulted_, false)) return;
  if (state_ == State::fault) start(Reason::fault_cleared, now, out);
}

void Router::on(const PriorityChanged& in, TimePoint now, Actions& out) {
  // Priority 0 is reserved for the handoff (RFC 5798 §5.2.4): a weight never reaches it.
  const auto p = std::max<std::uint8_t>(in.priority, 1);
  if (std::exchange(priority_, p) == p) return;
  // The Master tells the others at once: a Backup that now outranks it and preempts stops
  // accepting its adverts (§6.4.2) and takes over when Master_Down_Timer fires.
  if (state_ != State::master) return;
  out.push_back(SendAdvert{priority_});
  arm(TimerId::adver, next_advert(now), out);
}

// ---- receiving ----

std::optional<DiscardReason> Router::check(const AdvertReceived& in) const {
  const Advert& a = in.advert;
  if (a.vrid != config_.vrid) return DiscardReason::vrid_mismatch;
  if (a.version != config_.version) return DiscardReason::version_mismatch;
  if (in.src.family() != config_.primary_address.family()) return DiscardReason::family_mismatch;
  if (a.version == Version::v2 && a.max_adver_int != config_.advertisement_interval)
    return DiscardReason::adver_int_mismatch;  // RFC 3768 §7.1; v3 learns it instead
  return std::nullopt;
}

// RFC 5798 §6.4.2, Backup: If an ADVERTISEMENT is received, then ...
void Router::on_advert_in_backup(const Advert& a, TimePoint now, Actions& out) {
  if (a.priority == 0) {  // the Master is shutting down: Set the Master_Down_Timer to Skew_Time
    master_priority_ = 0;
    return arm(TimerId::master_down, now + skew_time(), out);
  }
  // §6.1 Preempt_Mode: "the router that owns the IPvX address ... always pre-empts".
  const bool preempts = config_.preempt || owner();
  // else // preempt was true and priority was less than the local priority: Discard.
  if (preempts && a.priority < priority_ && !defer_preemption(now, out)) return;
  // If Preempt_Mode is False, or if the Priority in the ADVERTISEMENT is greater than or
  // equal to the local Priority: learn the interval, reset the Master_Down_Timer.
  if (a.priority >= priority_) reset_preempt_delay(out);
  learn_master(a);
  wants_master_ = false;  // a live Master it accepts: nothing to take over
  arm(TimerId::master_down, now + master_down_interval(), out);
}

// RFC 5798 §6.4.3, Master: If an ADVERTISEMENT is received, then ...
void Router::on_advert_in_master(const Advert& a, const IpAddress& src, TimePoint now,
                                 Actions& out) {
  if (a.priority == 0) {  // another Master is leaving: assert ourselves at once
    out.push_back(SendAdvert{priority_});
    return arm(TimerId::adver, next_advert(now), out);
  }
  // Greater priority, or equal priority and a greater primary address "based on an unsigned
  // integer comparison of the IPvX address in network byte order" (IpAddress orders so).
  if (a.priority > priority_ || (a.priority == priority_ && src > config_.primary_address)) {
    if (config_.advert_on_higher_priority) out.push_back(SendAdvert{priority_});
    learn_master(a);
    return become_backup(Reason::higher_priority_advert, now, out);
  }
  // Otherwise the RFC discards. keepalived answers a strictly lower priority right away, and
  // refreshes the neighbours' caches: that Router may have announced the addresses as its own.
  if (a.priority < priority_) {
    if (config_.advert_on_lower_priority) out.push_back(SendAdvert{priority_});
    out.push_back(SendGratuitous{.lower_priority = true});
  }
}

// keepalived preempt_delay: a lower-priority Master is tolerated for preempt_delay after
// startup, or after it is first heard. Returns whether to accept its advert for now.
bool Router::defer_preemption(TimePoint now, Actions& out) {
  if (config_.preempt_delay <= Duration::zero()) return false;
  switch (preempt_delay_) {
    case PreemptDelay::idle:
      preempt_delay_ = PreemptDelay::pending;
      arm(TimerId::preempt_delay, now + config_.preempt_delay, out);
      return true;
    case PreemptDelay::pending: return true;
    case PreemptDelay::elapsed: return false;
  }
  return false;
}

// A Master at least as good as us: no preemption is due, forget any running delay.
void Router::reset_preempt_delay(Actions& out) {
  cancel(TimerId::preempt_delay, out);
  preempt_delay_ = PreemptDelay::idle;
}

// §6.4.2 / §6.4.3: Set Master_Adver_Interval to Adver Interval contained in the ADVERTISEMENT
// (v3 only; a v2 advert with another interval was discarded). Skew_Time and
// Master_Down_Interval are recomputed from it on use.
void Router::learn_master(const Advert& a) {
  master_priority_ = a.priority;
  if (config_.version == Version::v3) master_adver_interval_ = a.max_adver_int;
}

// ---- transitions ----

// RFC 5798 §6.4.1, Initialize: If a Startup event is received, then ...
void Router::start(Reason why, TimePoint now, Actions& out) {
  if (owner()) return become_master(why, now, out);  // If the Priority = 255
  master_adver_interval_ = config_.advertisement_interval;
  transition(State::backup, why, out);
  arm(TimerId::master_down, now + master_down_interval(), out);
  // keepalived: preempt_delay also runs from startup (and from leaving FAULT, a restart).
  if (config_.preempt) defer_preemption(now, out);
}

// §6.4.1 (owner at Startup), §6.4.2 (Master_Down_Timer fired): Send an ADVERTISEMENT,
// announce the addresses (gratuitous ARP / unsolicited NA), Set the Adver_Timer.
void Router::become_master(Reason why, TimePoint now, Actions& out) {
  transition(State::master, why, out);
  cancel(TimerId::master_down, out);
  cancel(TimerId::preempt_delay, out);
  // §6.4.3: accept packets for the addresses "if it is the IPvX address owner or if
  // Accept_Mode is True".
  out.push_back(AddVips{config_.accept || owner()});
  out.push_back(SendAdvert{priority_});
  out.push_back(SendGratuitous{});
  arm(TimerId::adver, first_advert(now), out);
}

// §6.4.3: Cancel Adver_Timer ... Set Master_Down_Timer ... Transition to the {Backup} state.
void Router::become_backup(Reason why, TimePoint now, Actions& out) {
  transition(State::backup, why, out);
  leave_master(out);
  arm(TimerId::master_down, now + master_down_interval(), out);
}

void Router::leave_master(Actions& out) {
  cancel(TimerId::adver, out);
  out.push_back(RemoveVips{});
}

void Router::transition(State to, Reason why, Actions& out) {
  out.push_back(StateChanged{state_, to, why});
  state_ = to;
  wants_master_ = false;
  if (to == State::backup) return;
  preempt_delay_ = PreemptDelay::idle;  // both only mean something in Backup
  master_priority_.reset();
}

// ---- timers ----

void Router::arm(TimerId t, TimePoint at, Actions& out) {
  deadlines_[index(t)] = at;
  out.push_back(ArmTimer{t, at});
}

void Router::cancel(TimerId t, Actions& out) {
  if (!std::exchange(deadlines_[index(t)], std::nullopt)) return;
  out.push_back(CancelTimer{t});
}

void Router::cancel_all(Actions& out) {
  for (auto t : {TimerId::adver, TimerId::master_down, TimerId::preempt_delay}) cancel(t, out);
}

// An expiry counts only if the timer is armed and due: a timer cancelled or re-armed since
// the driver scheduled it is stale, and ignoring it keeps the driver simple.
bool Router::expire(TimerId t, TimePoint now) {
  auto& d = deadlines_[index(t)];
  if (!d || now < *d) return false;
  d.reset();
  return true;
}

}  // namespace vigil::vrrp
