// What goes into a Router (inputs, RFC 5798 §6 "events") and what comes out (actions the
// driver carries out, in order). Timer expiry is an input; arming a timer is an action.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <variant>
#include <vector>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "vrrpd/proto/advert.hpp"

namespace vigil::vrrp {

// RFC 5798 §6.4 states, plus keepalived's FAULT (an interface or a tracked object is down).
enum class State : std::uint8_t { initialize, backup, master, fault };

// RFC 5798 §6.2 timers, plus keepalived's preempt_delay.
enum class TimerId : std::uint8_t { adver, master_down, preempt_delay };
inline constexpr std::size_t kTimerCount = 3;

enum class Reason : std::uint8_t {
  startup,                 // §6.4.1, not the address owner
  startup_owner,           // §6.4.1, priority 255
  master_down_timer,       // §6.4.2, the Master fell silent (or handed off with priority 0)
  preempt_delay,           // keepalived: a lower-priority Master outlived preempt_delay
  higher_priority_advert,  // §6.4.3, a better Master exists
  shutdown,                // §6.4.2 / §6.4.3
  fault_raised,
  fault_cleared,
  sync_group,              // keepalived vrrp_sync_group: the group moved together
};

enum class DiscardReason : std::uint8_t {
  vrid_mismatch,       // the driver demultiplexes by VRID; counted if it did not
  version_mismatch,    // a v2 advert for a v3 router or the reverse
  family_mismatch,     // sender address of the other family than the primary address
  adver_int_mismatch,  // v2 only: RFC 3768 §7.1 "MUST verify that the Adver Interval ..."
};

// ---- inputs ----
struct Startup {};
struct Shutdown {};
struct AdvertReceived {
  Advert advert;
  IpAddress src;  // the IP source: the sender's primary address (§6.4.3 tie-break)
};
struct MasterDownTimerExpired {};
struct AdverTimerExpired {};
struct PreemptDelayExpired {};
// Fault is a level: the driver aggregates interfaces and tracked objects and reports edges.
struct FaultRaised {};
struct FaultCleared {};
// Effective priority after tracking weights (keepalived's effective_priority), 1..255.
struct PriorityChanged {
  std::uint8_t priority{};
};
// keepalived vrrp_sync_group: the group (the driver) orders a member to Master (every member
// wants it, or the group is Master already) or back to Backup (a member left Master for a
// better one). Ignored unless the member is in Backup, resp. Master.
struct GroupMaster {};
struct GroupBackup {};
using Input = std::variant<Startup, Shutdown, AdvertReceived, MasterDownTimerExpired,
                           AdverTimerExpired, PreemptDelayExpired, FaultRaised, FaultCleared,
                           PriorityChanged, GroupMaster, GroupBackup>;

// ---- actions ----
// (Re)arm: a timer has at most one deadline; arming an armed timer replaces it.
struct ArmTimer {
  TimerId timer{};
  TimePoint at{};
  friend bool operator==(const ArmTimer&, const ArmTimer&) = default;
};
struct CancelTimer {
  TimerId timer{};
  friend bool operator==(const CancelTimer&, const CancelTimer&) = default;
};
// Build with Router::advert(priority) and send to the group or the unicast peers.
struct SendAdvert {
  std::uint8_t priority{};
  friend bool operator==(const SendAdvert&, const SendAdvert&) = default;
};
struct StateChanged {
  State from{};
  State to{};
  Reason reason{};
  friend bool operator==(const StateChanged&, const StateChanged&) = default;
};
// Install the virtual addresses. accept is RFC 5798 Accept_Mode (always true for the owner):
// when false the driver must keep the host from accepting packets addressed to them.
struct AddVips {
  bool accept{};
  friend bool operator==(const AddVips&, const AddVips&) = default;
};
struct RemoveVips {
  friend bool operator==(const RemoveVips&, const RemoveVips&) = default;
};
// Gratuitous ARP for IPv4, unsolicited NA (R=1, S=0, O=1) for IPv6 (§6.4.1, §6.4.2); the
// driver applies garp_master_delay / repeat / refresh.
// lower_priority: a Master heard a lower priority (a Backup that thought it was Master, e.g.
// after a partition healed): the neighbours are refreshed (keepalived garp_lower_prio_*).
struct SendGratuitous {
  bool lower_priority{false};
  friend bool operator==(const SendGratuitous&, const SendGratuitous&) = default;
};
struct AdvertDiscarded {
  DiscardReason reason{};
  friend bool operator==(const AdvertDiscarded&, const AdvertDiscarded&) = default;
};
// A sync-group member would become Master (its Master_Down_Timer or preempt_delay ran out)
// but waits for its group: the driver answers with GroupMaster once every member wants it.
// The Router re-arms Master_Down_Timer meanwhile, and asks again when it fires.
struct RequestMaster {
  friend bool operator==(const RequestMaster&, const RequestMaster&) = default;
};
using Action = std::variant<ArmTimer, CancelTimer, SendAdvert, StateChanged, AddVips, RemoveVips,
                            SendGratuitous, AdvertDiscarded, RequestMaster>;
using Actions = std::vector<Action>;

std::string_view to_string(State s);
std::string_view to_string(TimerId t);
std::string_view to_string(Reason r);
std::string_view to_string(DiscardReason r);

}  // namespace vigil::vrrp
