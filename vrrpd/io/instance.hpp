// The driver of one vrrp_instance: a Router (the sans-IO core) on the loop. It turns the
// Router's actions into timers, sends, address changes, announcements, log lines and notify
// scripts, in order (vrrpd/DOC.md "What the driver must do"), and turns timer expiries,
// received adverts and link changes into Router inputs.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "vrrpd/io/announcer.hpp"
#include "vrrpd/io/arp_sender.hpp"
#include "vrrpd/io/demux.hpp"
#include "vrrpd/io/log.hpp"
#include "vrrpd/io/scripts.hpp"
#include "vrrpd/io/timer.hpp"
#include "vrrpd/io/vip_installer.hpp"
#include "vrrpd/io/vrrp_socket.hpp"
#include "vrrpd/proto/router.hpp"

namespace vigil::vrrp::io {

struct NotifyConfig {
  // Argument vectors; empty = not configured. keepalived runs notify_* as given and appends
  // "INSTANCE <name> <STATE> <priority>" to the generic `notify`.
  std::vector<std::string> master, backup, fault, stop, notify;
  Duration timeout{std::chrono::seconds{30}};
};

struct InstanceConfig {
  std::string name;       // the vrrp_instance name, the log context
  std::string interface;
  int ifindex{};          // 0: the interface does not exist (the instance waits in FAULT)
  RouterConfig router;
  std::vector<IpAddress> destinations;  // the multicast group, or the unicast peers
  std::vector<Vip> vips;                // virtual_ipaddress and virtual_ipaddress_excluded
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
  };

  struct Stats {
    std::uint64_t adverts_sent{}, send_errors{}, vip_errors{};
    std::array<std::uint64_t, 4> discarded{};  // by DiscardReason
  };

  Instance(InstanceConfig config, Ports ports);
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Removes stale copies of the VIPs (a crashed run's), then RFC 5798 §6.4.1 Startup. With
  // link_up false the instance goes to FAULT instead and starts when the link comes up.
  void start(bool link_up);
  // Shutdown: a Master removes its VIPs and sends priority 0 (§6.4.3); notify_stop runs.
  void stop();
  void receive(const AdvertReceived& advert);
  void set_link(bool up);  // keepalived FAULT: FaultRaised / FaultCleared edges
  void set_transport(AdvertTransport* t) { ports_.transport = t; }

  const InstanceConfig& config() const { return config_; }
  const Router& router() const { return router_; }
  State state() const { return router_.state(); }
  const Stats& stats() const { return stats_; }
  const Announcer& announcer() const { return announcer_; }

 private:
  void step(const Input& input);
  void apply(const Action& action);
  void on(const ArmTimer& a);
  void on(const CancelTimer& a);
  void on(const SendAdvert& a);
  void on(const StateChanged& a);
  void on(const AddVips& a);
  void on(const RemoveVips& a);
  void on(const SendGratuitous& a);
  void on(const AdvertDiscarded& a);
  void notify(State to);
  void log(Severity s, const std::string& message);

  InstanceConfig config_;
  Ports ports_;
  Router router_;
  std::array<std::unique_ptr<Timer>, kTimerCount> timers_;
  Announcer announcer_;
  Stats stats_;
  RateLimit discard_log_{5, std::chrono::seconds{10}};
  RateLimit send_error_log_{1, std::chrono::seconds{10}};
  bool link_up_{true};
  bool warned_no_accept_{false};
};

}  // namespace vigil::vrrp::io
