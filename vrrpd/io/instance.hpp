// The driver of one vrrp_instance: a Router (the sans-IO core) on the loop. It turns the
// Router's actions into timers, sends, address changes, announcements, log lines and notify
// scripts, in order (vrrpd/DOC.md "What the driver must do"), and turns timer expiries,
// received adverts and link changes into Router inputs.
#pragma once
#include <array>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "vrrpd/io/announcer.hpp"
#include "vrrpd/io/arp_sender.hpp"
#include "vrrpd/io/deadline_table.hpp"
#include "vrrpd/io/demux.hpp"
#include "vrrpd/io/log.hpp"
#include "vrrpd/io/notify_fifo.hpp"
#include "vrrpd/io/route_installer.hpp"
#include "vrrpd/io/scripts.hpp"
#include "vrrpd/io/timer.hpp"
#include "vrrpd/io/tracking.hpp"
#include "vrrpd/io/vmac.hpp"
#include "vrrpd/io/vip_installer.hpp"
#include "vrrpd/io/vrrp_socket.hpp"
#include "vrrpd/proto/router.hpp"

namespace vigil::vrrp::io {

class SyncGroup;

struct NotifyConfig {
  // Argument vectors; empty = not configured. keepalived runs notify_* as given and appends
  // "INSTANCE <name> <STATE> <priority>" to the generic `notify`.
  std::vector<std::string> master, backup, fault, stop, notify;
  // Who runs each (a script's `user [group]`, else global_defs script_user).
  struct Users {
    RunAs master, backup, fault, stop, notify;
  } as;
  Duration timeout{std::chrono::seconds{30}};
};

struct InstanceConfig {
  std::string name;       // the vrrp_instance name, the log context
  std::string interface;
  int ifindex{};          // 0: the interface does not exist (the instance waits in FAULT)
  RouterConfig router;
  std::vector<IpAddress> destinations;  // the multicast group, or the unicast peers
  std::vector<Vip> vips;                // virtual_ipaddress and virtual_ipaddress_excluded
  std::vector<RouteSpec> routes;        // virtual_routes: with the VIPs, after them
  std::vector<RuleSpec> rules;          // virtual_rules: after the routes
  std::vector<std::string> warnings;    // configuration lines skipped, for the log
  std::vector<TrackItem> track;         // its own and its sync group's tracked objects
  std::string sync_group;               // the vrrp_sync_group it is in, if any
  std::optional<VmacConfig> vmac;       // use_vmac
  GarpConfig garp;
  NotifyConfig notify;
  EncodeOptions encode;
  // Receive side (the socket's Demux): see Listener.
  std::vector<UnicastPeer> peers;
  bool skip_check_adv_addr{false};
  bool check_unicast_src{false};
  DecodeOptions decode;
};

// What the demultiplexer of the instance's socket needs to know of it.
Listener listener(const InstanceConfig& c);

class Instance {
 public:
  struct Ports {
    AdvertTransport* transport;  // may be null: sending fails (counted) until set
    VipInstaller& vips;
    ArpSender& arp;
    ScriptRunner& scripts;
    TimerService& timers;
    Log& log;
    RouteInstaller* routes{nullptr};  // null: virtual routes/rules cannot be installed
    NotifyFifo* fifo{nullptr};        // notify_fifo / vrrp_notify_fifo; null: none
    // The protocol timers of all instances (the Service's, on `timers`); null: the Instance
    // keeps a table of its own.
    DeadlineTable* deadlines{nullptr};
    // The Adver_Timers of all instances: an urgent table (make_urgent_timer); null: own.
    DeadlineTable* advert_deadlines{nullptr};
  };

  struct Stats {
    std::uint64_t adverts_sent{}, send_errors{}, vip_errors{};
    std::array<std::uint64_t, 4> discarded{};  // by DiscardReason
  };

  Instance(InstanceConfig config, Ports ports);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Removes stale copies of the VIPs (a crashed run's), then RFC 5798 §6.4.1 Startup. With
  // link_up false the instance goes to FAULT instead and starts when the link comes up. While
  // a weight-0 track_script has no result yet the instance waits in INIT (keepalived).
  void start(bool link_up);
  // Shutdown: a Master sends priority 0 (§6.4.3) and removes its VIPs; notify_stop runs.
  // With defer_release the removal waits for release(): the Service sends every instance's
  // priority 0 first, then removes the addresses.
  void stop(bool defer_release = false);
  void release();
  // An AdvertReceived; `arrived`: when the kernel had it (RxPacket::arrived). The Router
  // then counts from there (Master_Down_Timer starts when the advert came, not when the loop
  // read it), though never from before the instance's previous step.
  void receive(const Input& advert_received, std::optional<TimePoint> arrived = std::nullopt);
  // keepalived FAULT is the OR of: the interface down, a tracked object down (weight 0), the
  // sync group in FAULT. Its edges become FaultRaised / FaultCleared.
  void set_link(bool up);
  // The tracked objects' verdict: the effective priority (PriorityChanged) and fault.
  void set_tracking(const TrackStatus& status);
  void set_transport(AdvertTransport* t) { ports_.transport = t; }
  // An instance whose interface did not exist at start (ifindex 0) or went away takes the
  // host's facts anew: only while it is not running (FAULT or INIT). Starts it if it was.
  bool rebind(InstanceConfig config, bool link_up);
  // The address monitor saw a VIP of ours deleted by someone else: put it back (Master only)
  // and announce it again. Returns whether it did.
  bool restore(const Vip& vip);

  // vrrp_sync_group: the group this instance is in (set once, before start) and its orders.
  void set_group(SyncGroup* g) { group_ = g; }
  void group_master() { step(GroupMaster{}); }
  void group_backup() { step(GroupBackup{}); }
  void set_group_fault(bool fault);
  // Faults of its own (interface, tracking), which the group aggregates.
  bool own_fault() const { return !link_up_ || track_.fault; }
  bool link_up() const { return link_up_; }
  const TrackStatus& tracking() const { return track_; }

  const InstanceConfig& config() const { return config_; }
  const Router& router() const { return router_; }
  State state() const { return router_.state(); }
  const Stats& stats() const { return stats_; }
  const Announcer& announcer() const { return *announcer_; }

 private:
  void step(const Input& input, std::optional<TimePoint> at = std::nullopt);
  void update_fault();
  void maybe_start();
  void apply(const Action& action);
  void on(const ArmTimer& a);
  void on(const CancelTimer& a);
  void timer_fired(TimerId t);
  void on(const SendAdvert& a);
  void on(const StateChanged& a);
  void on(const AddVips& a);
  void on(const RemoveVips& a);
  void on(const SendGratuitous& a);
  void on(const AdvertDiscarded& a);
  void on(const RequestMaster& a);
  void notify(State to);
  void log(Severity s, const std::string& message);
  void add_routes();
  void remove_routes(bool stale);
  void vip_added(const Result<void, std::string>& added);

  InstanceConfig config_;
  Ports ports_;
  Router router_;
  // The Router's timers, slots of the shared table: a Backup's Master_Down_Timer moves later
  // on every advert, which is one store there.
  std::unique_ptr<DeadlineTable> own_deadlines_;         // without Ports::deadlines
  std::unique_ptr<DeadlineTable> own_advert_deadlines_;  // without Ports::advert_deadlines
  DeadlineTable* deadlines_;
  DeadlineTable* advert_deadlines_;
  DeadlineTable& table(TimerId t) { return t == TimerId::adver ? *advert_deadlines_ : *deadlines_; }
  std::array<DeadlineTable::Slot, kTimerCount> slots_{};
  bool stepping_{false};
  TimePoint last_step_{};  // the time of the Router's last step
  Actions actions_;  // the current step's, reused
  std::unique_ptr<Announcer> announcer_;
  Stats stats_;
  RateLimit discard_log_{5, std::chrono::seconds{10}};
  RateLimit send_error_log_{1, std::chrono::seconds{10}};
  SyncGroup* group_{nullptr};
  TrackStatus track_;
  std::deque<Input> pending_;  // inputs that arrived while the Router's actions ran
  bool link_up_{true};
  bool group_fault_{false};
  bool fault_reported_{false};  // the last edge given to the Router
  bool started_{false};         // start() was called and stop() was not
  bool defer_release_{false}, release_pending_{false};
  // VIP adds queued (VipInstaller::add_queued) and not yet done; the first gratuitous ARP
  // round waits for them, since announcing an address the kernel does not have yet draws
  // traffic it would drop.
  std::size_t vips_pending_{0};
  bool announce_when_added_{false};
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for the adds' completions
};

}  // namespace vigil::vrrp::io
