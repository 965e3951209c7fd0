// The part of the configuration the health-check policy needs, as plain values with units
// in types. Built from a validated conf::Config (inherited values already resolved by
// conf/validate_lvs.cpp), or written directly by tests.
#pragma once
#include <optional>
#include <vector>

#include "base/clock.hpp"
#include "conf/model.hpp"

namespace vigil::checkers {

struct CheckerPolicy {
  conf::CheckerKind kind{conf::CheckerKind::tcp};
  // FILE_CHECK and BFD_CHECK are not probed: their watcher reports levels as they change.
  bool passive{false};
  Duration delay_loop{std::chrono::seconds(60)};
  // A probe's deadline: connect_timeout, or misc_timeout (default delay_loop) for MISC_CHECK.
  Duration timeout{std::chrono::seconds(5)};
  int retry{1};
  Duration delay_before_retry{std::chrono::seconds(1)};
  // Given: the first probe waits a random delay in [0, warmup] (keepalived's warmup; 0 =
  // at once). Not given (keepalived then takes a random delay in [0, delay_loop]): first
  // probes are spread evenly over delay_loop across all such checkers.
  std::optional<Duration> warmup;
};

struct RsPolicy {
  long long weight{1};
  bool inhibit_on_failure{false};
  bool alpha{false};  // start DOWN until the checks pass
  bool omega{false};  // run notify_down at shutdown
  std::optional<conf::Script> notify_up, notify_down;
  std::vector<CheckerPolicy> checkers;
};

struct VsPolicy {
  long long quorum{1};
  long long hysteresis{0};
  bool has_sorry_server{false};
  bool omega{false};  // run quorum_down at shutdown
  std::optional<conf::Script> quorum_up, quorum_down;
  std::vector<RsPolicy> servers;
};

// Index for index: VsPolicy i is config.virtual_servers[i], RsPolicy j its real_servers[j],
// CheckerPolicy k its checkers[k].
std::vector<VsPolicy> policy_from_config(const conf::Config& config);

}  // namespace vigil::checkers
