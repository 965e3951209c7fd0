#include "checkers/core/health_core.hpp"

#include <algorithm>

#include "base/overloaded.hpp"

namespace vigil::checkers {
namespace {

long long clamp_weight(long long w) { return std::clamp(w, 0LL, kMaxWeight); }

}  // namespace

HealthCore::HealthCore(std::vector<VsPolicy> policy, RandomSource random)
    : policy_(std::move(policy)), random_(std::move(random)) {
  vss_.reserve(policy_.size());
  for (const auto& vp : policy_) {
    Vs v;
    v.servers.reserve(vp.servers.size());
    for (const auto& rp : vp.servers) {
      Rs r;
      r.weight = clamp_weight(rp.weight);
      r.checks.reserve(rp.checkers.size());
      for (const auto& cp : rp.checkers) r.checks.emplace_back(cp, rp.alpha);
      // alpha: every checker starts failed, so the server starts DOWN; a server without
      // checkers is always up.
      r.alive = std::all_of(r.checks.begin(), r.checks.end(), [](const auto& c) { return c.up(); });
      v.servers.push_back(std::move(r));
    }
    vss_.push_back(std::move(v));
  }
}

SetRealServer HealthCore::desired(RsKey k) const {
  const Rs& r = rs(k);
  // While the sorry server stands in, the alive servers are out of the pool too
  // (keepalived's perform_quorum_state).
  if (r.alive && !vss_.at(k.vs).sorry_in) return {k, true, r.weight};
  if (rs_policy(k).inhibit_on_failure) return {k, true, 0};
  return {k, false, 0};
}

long long HealthCore::live_weight(std::uint32_t vs) const {
  long long sum = 0;
  for (const auto& r : vss_[vs].servers)
    if (r.alive) sum += r.weight;
  return sum;
}

Actions HealthCore::start(TimePoint now) {
  Actions out;
  if (started_) return out;
  started_ = true;
  for (std::uint32_t vi = 0; vi < vss_.size(); ++vi) {
    Vs& v = vss_[vi];
    const VsPolicy& vp = policy_[vi];
    // keepalived's set_quorum_states() and update_quorum_state(init): a virtual server that
    // starts below quorum + hysteresis puts its sorry server in and says quorum_down; one
    // without a sorry server starts down silently and says quorum_up when it gains it.
    v.quorum_up = live_weight(vi) >= vp.quorum + vp.hysteresis;
    const bool starts_with_sorry = !v.quorum_up && vp.has_sorry_server;
    v.sorry_in = starts_with_sorry;
    for (std::uint32_t ri = 0; ri < v.servers.size(); ++ri) emit_desired({vi, ri}, out);
    if (starts_with_sorry) {
      out.push_back(SwapSorry{vi, true});
      notify_quorum(vi, out);
    }
  }
  // First probes: warmup where given, else spread evenly over delay_loop.
  std::size_t spread_count = 0;
  for (const auto& vp : policy_)
    for (const auto& rp : vp.servers)
      for (const auto& cp : rp.checkers) spread_count += !cp.passive && !cp.warmup;
  std::size_t spread_index = 0;
  for (std::uint32_t vi = 0; vi < vss_.size(); ++vi)
    for (std::uint32_t ri = 0; ri < vss_[vi].servers.size(); ++ri)
      for (std::uint32_t ci = 0; ci < vss_[vi].servers[ri].checks.size(); ++ci) {
        const CheckerPolicy& cp = policy_[vi].servers[ri].checkers[ci];
        if (cp.passive) continue;
        const Duration offset = cp.warmup ? warmup_offset(*cp.warmup, random_())
                                          : spread_offset(spread_index++, spread_count, cp.delay_loop);
        out.push_back(ArmTimer{{vi, ri, ci}, vss_[vi].servers[ri].checks[ci].start(now, offset)});
      }
  return out;
}

Actions HealthCore::step(const Input& input, TimePoint now) {
  Actions out;
  step(input, now, out);
  return out;
}

void HealthCore::step(const Input& input, TimePoint now, Actions& out) {
  if (!started_ || stopped_) return;
  std::visit(Overloaded{[&](const ProbeResult& r) { on_probe_result(r, now, out); },
                        [&](const TimerFired& t) { on_timer(t, now, out); }},
             input);
}

void HealthCore::on_timer(const TimerFired& t, TimePoint now, Actions& out) {
  CheckerSchedule& c = rs(t.checker.server()).checks.at(t.checker.checker);
  if (auto p = c.on_timer(now)) out.push_back(StartProbe{t.checker, p->id, p->deadline});
}

void HealthCore::on_probe_result(const ProbeResult& r, TimePoint now, Actions& out) {
  const RsKey k = r.checker.server();
  CheckerSchedule& c = rs(k).checks.at(r.checker.checker);
  const CheckerPolicy& cp = rs_policy(k).checkers[r.checker.checker];
  if (cp.passive) {
    if (r.ok && r.weight) set_weight(k, *r.weight, out);
    if (c.set_level(r.ok)) checker_changed(k, out);
    return;
  }
  const auto o = c.on_result(r.probe, r.ok, now);
  if (!o) return;  // not the probe in flight: late or duplicated
  // keepalived's MISC_CHECK sets the weight before the checker's state.
  if (r.ok && r.weight) set_weight(k, *r.weight, out);
  if (o->changed) checker_changed(k, out);
  // alpha: the first failure confirms a server that started DOWN; keepalived notifies it.
  if (o->confirmed_down) notify_rs(k, out);
  out.push_back(ArmTimer{r.checker, o->next});
}

void HealthCore::set_weight(RsKey k, long long weight, Actions& out) {
  Rs& r = rs(k);
  weight = clamp_weight(weight);
  if (weight == r.weight) return;
  r.weight = weight;
  emit_desired(k, out);
  update_quorum(k.vs, out);
}

void HealthCore::checker_changed(RsKey k, Actions& out) {
  Rs& r = rs(k);
  const bool alive = std::all_of(r.checks.begin(), r.checks.end(), [](const auto& c) { return c.up(); });
  if (alive == r.alive) return;  // another checker still fails
  r.alive = alive;
  // keepalived's perform_svr_state: the table, the server's notify, then the quorum.
  emit_desired(k, out);
  notify_rs(k, out);
  update_quorum(k.vs, out);
}

void HealthCore::emit_desired(RsKey k, Actions& out) {
  Rs& r = rs(k);
  const SetRealServer d = desired(k);
  if (r.emitted == d) return;
  r.emitted = d;
  out.push_back(d);
}

void HealthCore::update_quorum(std::uint32_t vi, Actions& out) {
  Vs& v = vss_[vi];
  const VsPolicy& vp = policy_[vi];
  const long long sum = live_weight(vi);
  // keepalived's update_quorum_state: gained at quorum + hysteresis, lost below
  // quorum - hysteresis (or when no weight is left at all).
  if (!v.quorum_up && sum >= vp.quorum + vp.hysteresis) {
    v.quorum_up = true;
    if (v.sorry_in) {
      v.sorry_in = false;
      out.push_back(SwapSorry{vi, false});
      for (std::uint32_t ri = 0; ri < v.servers.size(); ++ri) emit_desired({vi, ri}, out);
    }
    notify_quorum(vi, out);
  } else if (v.quorum_up && (sum == 0 || sum < vp.quorum - vp.hysteresis)) {
    v.quorum_up = false;
    if (vp.has_sorry_server && !v.sorry_in) {
      v.sorry_in = true;
      for (std::uint32_t ri = 0; ri < v.servers.size(); ++ri) emit_desired({vi, ri}, out);
      out.push_back(SwapSorry{vi, true});
    }
    notify_quorum(vi, out);
  }
}

void HealthCore::notify_rs(RsKey k, Actions& out) {
  const RsPolicy& rp = rs_policy(k);
  const bool up = rs(k).alive;
  out.push_back(Notify{up ? NotifyKind::rs_up : NotifyKind::rs_down, k, up ? rp.notify_up : rp.notify_down});
}

void HealthCore::notify_quorum(std::uint32_t vi, Actions& out) {
  const VsPolicy& vp = policy_[vi];
  const bool up = vss_[vi].quorum_up;
  out.push_back(Notify{up ? NotifyKind::quorum_up : NotifyKind::quorum_down, {vi, 0},
                       up ? vp.quorum_up : vp.quorum_down});
}

Actions HealthCore::stop(TimePoint) {
  Actions out;
  if (!started_ || stopped_) return out;
  stopped_ = true;
  for (std::uint32_t vi = 0; vi < vss_.size(); ++vi) {
    Vs& v = vss_[vi];
    for (std::uint32_t ri = 0; ri < v.servers.size(); ++ri) {
      Rs& r = v.servers[ri];
      for (auto& c : r.checks) c.stop();
      if (!r.alive) continue;
      r.alive = false;
      if (policy_[vi].servers[ri].omega) notify_rs({vi, ri}, out);
    }
    // keepalived's update_vs_notifies(stopping): quorum_down at shutdown, with omega only.
    v.quorum_up = false;
    if (policy_[vi].omega) notify_quorum(vi, out);
  }
  return out;
}

}  // namespace vigil::checkers
