// What goes into the health-check core (probe results, timer expiries) and what comes out
// (probes to start, timers to arm, the desired real-server states, notifications), in order.
// Timer expiry is an input; arming a timer is an action. Servers and checkers are named by
// their indices in the configuration (conf::Config::virtual_servers, ::real_servers,
// ::checkers), so a driver finds the probe's settings without a second table.
#pragma once
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/clock.hpp"
#include "conf/model.hpp"

namespace vigil::checkers {

struct RsKey {
  std::uint32_t vs{}, rs{};
  friend auto operator<=>(const RsKey&, const RsKey&) = default;
};

struct CheckerKey {
  std::uint32_t vs{}, rs{}, checker{};
  RsKey server() const { return {vs, rs}; }
  friend auto operator<=>(const CheckerKey&, const CheckerKey&) = default;
};

// ---- inputs ----
// The outcome of a StartProbe. `probe` echoes StartProbe::probe; a result for another
// probe (late, duplicated) is ignored. `weight`: the real server's new weight (MISC_CHECK
// with misc_dynamic, exit codes 2..255); applied only when ok. For FILE_CHECK / BFD_CHECK
// (passive checkers, never probed) the watcher reports a level at any time with probe 0.
struct ProbeResult {
  CheckerKey checker;
  std::uint64_t probe{};
  bool ok{};
  std::optional<long long> weight;
};
// The checker's timer (armed by ArmTimer) expired. Early or stale expiries are ignored.
struct TimerFired {
  CheckerKey checker;
};
using Input = std::variant<ProbeResult, TimerFired>;

// ---- actions ----
// Run one probe of the checker; it must report a ProbeResult by `deadline` (the probe's
// connect_timeout, or misc_timeout): at the deadline it has failed.
struct StartProbe {
  CheckerKey checker;
  std::uint64_t probe{};
  TimePoint deadline{};
  friend bool operator==(const StartProbe&, const StartProbe&) = default;
};
// (Re)arm the checker's timer: one deadline per checker; arming again replaces it.
struct ArmTimer {
  CheckerKey checker;
  TimePoint at{};
  friend bool operator==(const ArmTimer&, const ArmTimer&) = default;
};
// The desired IPVS destination of a real server: absent, or present with `weight`
// (weight 0 = inhibited: kept in the table, given no new connections).
struct SetRealServer {
  RsKey server;
  bool present{};
  long long weight{};
  friend bool operator==(const SetRealServer&, const SetRealServer&) = default;
};
// The virtual server's sorry_server goes into (in) or out of the table.
struct SwapSorry {
  std::uint32_t vs{};
  bool in{};
  friend bool operator==(const SwapSorry&, const SwapSorry&) = default;
};
enum class NotifyKind : std::uint8_t { rs_up, rs_down, quorum_up, quorum_down };
// Run `script` (if configured) and write the notify FIFO line: "RS <rs> <vs> UP|DOWN" for
// rs_*, "VS <vs> UP|DOWN" for quorum_* (server.rs is then 0 and meaningless).
struct Notify {
  NotifyKind kind{};
  RsKey server;
  std::optional<conf::Script> script;
  friend bool operator==(const Notify&, const Notify&) = default;
};
using Action = std::variant<StartProbe, ArmTimer, SetRealServer, SwapSorry, Notify>;
using Actions = std::vector<Action>;

}  // namespace vigil::checkers

namespace vigil::checkers {
// "vs0/rs1/c2", "SetRealServer vs0/rs1 present weight 3", ...: for logs and test output.
std::string to_string(RsKey k);
std::string to_string(CheckerKey k);
std::string to_string(NotifyKind k);
std::string to_string(const Action& a);
}  // namespace vigil::checkers
