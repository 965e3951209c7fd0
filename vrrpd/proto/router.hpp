// One VRRP virtual router (one vrrp_instance) as a pure state machine: RFC 5798 §6 (and
// RFC 3768 §6 for v2) plus keepalived's FAULT state, nopreempt, preempt_delay and its answer
// to lower-priority adverts. step(input, now) returns the actions for the driver to perform.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "vrrpd/proto/advert.hpp"
#include "vrrpd/proto/events.hpp"

namespace vigil::vrrp {

// RFC 5798 §6.1 parameters per virtual router. Checked by the Router constructor; conf/
// rejects bad values first with a source location.
struct RouterConfig {
  Version version{Version::v3};
  std::uint8_t vrid{};                       // 1..255
  std::uint8_t priority{100};                // 1..255; 255 = the address owner
  Centiseconds advertisement_interval{100};  // v3 1..4095 cs; v2 whole seconds, 1..255 s
  IpAddress primary_address;                 // the source of our adverts; tie-break (§6.4.3)
  std::vector<IpAddress> addresses;          // the IPvX address(es) carried in adverts
  bool preempt{true};                        // Preempt_Mode; keepalived nopreempt = false
  Duration preempt_delay{};                  // keepalived preempt_delay; 0 = none
  bool accept{false};                        // Accept_Mode; keepalived accept / no_accept
  // keepalived: a Master that hears a lower priority advertises at once, so the other side
  // learns quickly that it should not be Master. RFC 5798 §6.4.3 only discards.
  bool advert_on_lower_priority{true};
  // keepalived higher_prio_send_advert: a Master that hears a higher priority advertises its
  // own once before it steps down, so the winner learns there was a split brain and
  // refreshes the neighbours (SendGratuitous{lower_priority}). Off by default, as keepalived.
  bool advert_on_higher_priority{false};
  V2Auth auth;  // v2 only: authentication{} of the instance
  // keepalived vrrp_sync_group member: it never becomes Master on its own timers; it emits
  // RequestMaster and waits for GroupMaster (the owner at startup excepted).
  bool sync_group{false};
};

class Router {
 public:
  // Throws std::invalid_argument on a configuration conf/ should have rejected.
  explicit Router(RouterConfig config);

  Actions step(const Input& input, TimePoint now);
  // The same into `out` (cleared first): a driver reuses one buffer for every step.
  void step(const Input& input, TimePoint now, Actions& out);

  State state() const { return state_; }
  std::uint8_t priority() const { return priority_; }  // effective priority
  // A sync-group member in Backup whose Master_Down_Timer (or preempt_delay) ran out: it
  // would be Master but for its group. Cleared by an advert it accepts and on leaving Backup.
  bool wants_master() const { return wants_master_; }
  const RouterConfig& config() const { return config_; }
  bool owner() const { return config_.priority == 255; }

  // RFC 5798 §6.1 derived parameters, for the current priority and Master_Adver_Interval.
  Centiseconds master_adver_interval() const { return master_adver_interval_; }
  Duration skew_time() const;
  Duration master_down_interval() const;

  // The deadline of an armed timer, as last announced by ArmTimer.
  std::optional<TimePoint> deadline(TimerId t) const;

  // The ADVERTISEMENT this router sends with the given priority (SendAdvert{priority}).
  Advert advert(std::uint8_t priority) const;

 private:
  enum class PreemptDelay : std::uint8_t { idle, pending, elapsed };

  void on(const Startup&, TimePoint now, Actions& out);
  void on(const Shutdown&, TimePoint now, Actions& out);
  void on(const AdvertReceived&, TimePoint now, Actions& out);
  void on(const MasterDownTimerExpired&, TimePoint now, Actions& out);
  void on(const AdverTimerExpired&, TimePoint now, Actions& out);
  void on(const PreemptDelayExpired&, TimePoint now, Actions& out);
  void on(const FaultRaised&, TimePoint now, Actions& out);
  void on(const FaultCleared&, TimePoint now, Actions& out);
  void on(const PriorityChanged&, TimePoint now, Actions& out);
  void on(const GroupMaster&, TimePoint now, Actions& out);
  void on(const GroupBackup&, TimePoint now, Actions& out);
  void want_master(Reason why, TimePoint now, Actions& out);

  std::optional<DiscardReason> check(const AdvertReceived& in) const;
  void on_advert_in_backup(const Advert& a, TimePoint now, Actions& out);
  void on_advert_in_master(const Advert& a, const IpAddress& src, TimePoint now, Actions& out);
  bool defer_preemption(TimePoint now, Actions& out);
  void reset_preempt_delay(Actions& out);
  void learn_master(const Advert& a);

  void start(Reason why, TimePoint now, Actions& out);
  void become_master(Reason why, TimePoint now, Actions& out);
  void become_backup(Reason why, TimePoint now, Actions& out);
  void leave_master(Actions& out);
  void transition(State to, Reason why, Actions& out);

  TimePoint next_advert(TimePoint now) const;
  TimePoint first_advert(TimePoint now) const;
  void arm(TimerId t, TimePoint at, Actions& out);
  void cancel(TimerId t, Actions& out);
  void cancel_all(Actions& out);
  bool expire(TimerId t, TimePoint now);

  RouterConfig config_;
  State state_{State::initialize};
  std::uint8_t priority_;
  Centiseconds master_adver_interval_;
  std::optional<std::uint8_t> master_priority_;  // of the Master last heard in Backup
  bool faulted_{false};
  bool wants_master_{false};
  PreemptDelay preempt_delay_{PreemptDelay::idle};
  std::array<std::optional<TimePoint>, kTimerCount> deadlines_{};
};

}  // namespace vigil::vrrp
