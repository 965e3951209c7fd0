// The health-check policy of every virtual server: per real server a set of checkers that
// must all pass (keepalived's AND), the real server's desired IPVS state (present with its
// weight, absent, or weight 0 with inhibit_on_failure), misc_dynamic weights, per virtual
// server quorum with hysteresis and the sorry_server, and the notifications, in order.
//
// A function of (input, now) returning actions: no clock reads, no sockets, no logging.
// The desired states it emits are for ipvs_glue to apply; it never reads the kernel table.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "base/clock.hpp"
#include "checkers/core/events.hpp"
#include "checkers/core/policy.hpp"
#include "checkers/core/schedule.hpp"

namespace vigil::checkers {

// Any 64-bit random value per call (warmup); tests pass a fixed sequence.
using RandomSource = std::function<std::uint64_t()>;

// IPVS weights are 0..65535 (keepalived's real_weight()).
inline constexpr long long kMaxWeight = 65535;

class HealthCore {
 public:
  HealthCore(std::vector<VsPolicy> policy, RandomSource random);
  // Checker state points into policy_: the core may move but not be copied.
  HealthCore(HealthCore&&) = default;
  HealthCore& operator=(HealthCore&&) = default;
  HealthCore(const HealthCore&) = delete;
  HealthCore& operator=(const HealthCore&) = delete;

  // The initial table (a SetRealServer for every real server, SwapSorry for virtual servers
  // starting without quorum) and the first timer of every probed checker.
  Actions start(TimePoint now);
  Actions step(const Input& input, TimePoint now);
  // The same, appended to `out` (a caller's list, reused from step to step).
  void step(const Input& input, TimePoint now, Actions& out);
  // Shutdown: probing ends; with omega, notify_down for the servers that were up and
  // quorum_down for every virtual server (keepalived's clear_services). Emptying the table
  // is the daemon's choice (lvs_flush_onstop), so no SetRealServer here.
  Actions stop(TimePoint now);

  // Read-only view, for state dumps and tests.
  const std::vector<VsPolicy>& policy() const { return policy_; }
  bool alive(RsKey k) const { return rs(k).alive; }
  long long weight(RsKey k) const { return rs(k).weight; }
  bool quorum_up(std::uint32_t vs) const { return vss_.at(vs).quorum_up; }
  bool sorry_in(std::uint32_t vs) const { return vss_.at(vs).sorry_in; }
  SetRealServer desired(RsKey k) const;
  const CheckerSchedule& checker(CheckerKey k) const { return rs(k.server()).checks.at(k.checker); }

 private:
  struct Rs {
    std::vector<CheckerSchedule> checks;
    long long weight{};  // effective: configured, or the last misc_dynamic value
    bool alive{};        // every checker up
    std::optional<SetRealServer> emitted;
  };
  struct Vs {
    std::vector<Rs> servers;
    bool quorum_up{true};
    bool sorry_in{false};
  };

  const Rs& rs(RsKey k) const { return vss_.at(k.vs).servers.at(k.rs); }
  Rs& rs(RsKey k) { return vss_.at(k.vs).servers.at(k.rs); }
  const RsPolicy& rs_policy(RsKey k) const { return policy_[k.vs].servers[k.rs]; }

  void on_probe_result(const ProbeResult& r, TimePoint now, Actions& out);
  void on_timer(const TimerFired& t, TimePoint now, Actions& out);
  void set_weight(RsKey k, long long weight, Actions& out);
  void checker_changed(RsKey k, Actions& out);
  void emit_desired(RsKey k, Actions& out);
  void update_quorum(std::uint32_t vs, Actions& out);
  void notify_rs(RsKey k, Actions& out);
  void notify_quorum(std::uint32_t vs, Actions& out);
  long long live_weight(std::uint32_t vs) const;

  std::vector<VsPolicy> policy_;
  RandomSource random_;
  std::vector<Vs> vss_;
  bool started_{false};
  bool stopped_{false};
};

}  // namespace vigil::checkers
