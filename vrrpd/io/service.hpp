// All VRRP instances of a configuration on the loop: one Instance (driver + Router) per
// vrrp_instance, one socket per interface and family shared by the instances on it, each
// with its Demux; link events routed to the instances as FAULT edges; tracked objects
// (interfaces, vrrp_scripts, track_files) folded into effective priorities and faults;
// vrrp_sync_groups; the address monitor's deletions of our addresses undone; static
// addresses. The kernel is reached only through ports, so the whole of it runs in unit tests
// with fakes.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vrrpd/io/deadline_table.hpp"
#include "vrrpd/io/demux.hpp"
#include "vrrpd/io/instance.hpp"
#include "vrrpd/io/link_monitor.hpp"
#include "vrrpd/io/log.hpp"
#include "vrrpd/io/sync_group.hpp"
#include "vrrpd/io/tracking.hpp"
#include "vrrpd/io/vmac_port.hpp"
#include "vrrpd/io/vrrp_socket.hpp"

namespace vigil::vrrp::io {

class Service {
 public:
  struct Ports {
    SocketFactory& sockets;
    VipInstaller& vips;
    ArpSender& arp;
    ScriptRunner& scripts;
    TimerService& timers;
    Log& log;
    RouteInstaller* routes{nullptr};
    NotifyFifo* fifo{nullptr};
    VmacPort* vmacs{nullptr};  // null: a use_vmac instance stays in FAULT
  };
  // Whether an interface (by index) is usable at start; later changes come as LinkEvents.
  using LinkState = std::function<bool(int ifindex)>;

  struct Options {
    std::vector<ScriptSpec> scripts;        // the vrrp_scripts tracked by some instance
    std::vector<SyncGroupConfig> groups;    // vrrp_sync_groups (members by instance name)
    std::vector<Vip> static_addresses;      // static_ipaddress: from start to stop
    std::vector<RouteSpec> static_routes;   // static_routes, likewise
    std::vector<RuleSpec> static_rules;     // static_rules, likewise
    // Whether an interface (by name) is usable at start, for track_interface.
    std::function<bool(const std::string& ifname)> interface_up;
    // The instance resolved against the host anew (its interface appeared, or got an
    // address): the daemon's make_instance_config. Empty when it still cannot run.
    std::function<std::optional<InstanceConfig>(const std::string& instance)> resolve;
  };

  Service(std::vector<InstanceConfig> configs, Ports ports, Options options = {});
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Opens the sockets, then starts every instance. An instance whose interface is missing,
  // down, or whose socket cannot be opened starts in FAULT.
  void start(const LinkState& link_up);
  // Every instance hands off (priority 0) and releases its addresses. Synchronous: sends
  // and netlink calls complete before it returns, so the loop may stop right after.
  void stop();
  // stop()'s first half, for a caller with work of its own before the addresses go: the
  // priority-0 adverts are sent (the Backups' Skew_Time starts now) and nothing else.
  // stop() afterwards does the rest.
  void hand_off();
  void on_link(const LinkEvent& e);
  // The address monitor: an address of a Master (or a static one) deleted is put back; a new
  // address may let an instance that had none start.
  void on_addr(const AddrEvent& e);
  // A track_file's value (read at start and on every change by the daemon's FileWatch).
  void set_file_value(const std::string& name, long long value);
  // A bfd_instance's session came Up or left it (track_bfd).
  void set_bfd_state(const std::string& name, bool up);
  // One log line per instance and per socket: state, priority, counters.
  void dump();
  // Sends queued on the sockets go out now, not after the handlers ready on the loop (the
  // urgent lane: an advert fired from base/urgent.hpp's poll()).
  void flush_sends();

  const std::vector<std::unique_ptr<Instance>>& instances() const { return instances_; }
  const Instance* find(const std::string& name) const;
  const SyncGroup* group(const std::string& name) const;
  const TrackedObjects& tracked() const { return objects_; }
  // The receive counters of the socket of (interface, family), if there is one.
  const RxCounters* counters(int ifindex, Family family) const;

 private:
  struct Endpoint {
    SocketConfig config;
    std::unique_ptr<PacketEndpoint> socket;
    Demux demux;
    RateLimit drop_log{5, std::chrono::seconds{10}};
    RateLimit send_error_log{1, std::chrono::seconds{10}};
    std::uint64_t send_errors{0};  // queued sends that failed
    bool failed{false};
  };
  Endpoint& endpoint_for(const InstanceConfig& c);
  void attach(std::size_t i);
  void open(Endpoint& e);
  void retrack(TrackKind kind, const std::string& name);
  void try_rebind(const std::string& ifname);
  void index_vips();
  void on_packet(Endpoint& e, const RxPacket& p);
  void on_drop(Endpoint& e, const Drop& d, const IpAddress* src);
  bool prepare_vmac(std::size_t i, InstanceConfig& c);
  void release_vmac(std::size_t i);
  bool on_vmac_link(std::size_t i, const LinkEvent& e);
  std::string label(const Endpoint& e) const;

  Ports ports_;
  Options options_;
  DeadlineTable deadlines_;         // every instance's protocol timers; outlive the instances
  DeadlineTable advert_deadlines_;  // their Adver_Timers, urgent (base/urgent.hpp)
  TrackedObjects objects_;
  std::vector<std::unique_ptr<ScriptTracker>> scripts_;
  std::vector<std::unique_ptr<SyncGroup>> groups_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::vector<Endpoint*> endpoint_of_;  // per instance; null without an interface
  // The instances holding each (interface, address) as a VIP: the address monitor reports
  // every address change, 1,000 at once in a takeover.
  std::map<std::pair<int, IpAddress>, std::vector<std::size_t>> vip_owners_;
  // use_vmac: each such instance's macvlan and the links it runs on (base and macvlan).
  struct VmacState {
    VmacLink link;
    bool base_up{false}, vmac_up{false};
    bool gone{false};  // the macvlan was deleted (by hand, or with its base): made anew
  };
  std::vector<std::optional<VmacState>> vmacs_;
  Input rx_{AdvertReceived{}};  // the advert being delivered (its storage reused)
  bool unresolved_{false};  // an instance waits for an address to send adverts from
  bool started_{false};
  bool handed_off_{false};
};

}  // namespace vigil::vrrp::io
