// All VRRP instances of a configuration on the loop: one Instance (driver + Router) per
// vrrp_instance, one socket per interface and family shared by the instances on it, each
// with its Demux; link events routed to the instances as FAULT edges. The kernel is reached
// only through ports, so the whole of it runs in unit tests with fakes.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vrrpd/io/demux.hpp"
#include "vrrpd/io/instance.hpp"
#include "vrrpd/io/link_monitor.hpp"
#include "vrrpd/io/log.hpp"
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
  };
  // Whether an interface (by index) is usable at start; later changes come as LinkEvents.
  using LinkState = std::function<bool(int ifindex)>;

  Service(std::vector<InstanceConfig> configs, Ports ports);
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // Opens the sockets, then starts every instance. An instance whose interface is missing,
  // down, or whose socket cannot be opened starts in FAULT.
  void start(const LinkState& link_up);
  // Every instance hands off (priority 0) and releases its addresses. Synchronous: sends
  // and netlink calls complete before it returns, so the loop may stop right after.
  void stop();
  void on_link(const LinkEvent& e);
  // One log line per instance and per socket: state, priority, counters.
  void dump();

  const std::vector<std::unique_ptr<Instance>>& instances() const { return instances_; }
  const Instance* find(const std::string& name) const;
  // The receive counters of the socket of (interface, family), if there is one.
  const RxCounters* counters(int ifindex, Family family) const;

 private:
  struct Endpoint {
    SocketConfig config;
    std::unique_ptr<PacketEndpoint> socket;
    Demux demux;
    RateLimit drop_log{5, std::chrono::seconds{10}};
    bool failed{false};
  };
  Endpoint& endpoint_for(const InstanceConfig& c);
  void open(Endpoint& e);
  void on_packet(Endpoint& e, const RxPacket& p);
  void on_drop(Endpoint& e, const Drop& d, const IpAddress* src);
  std::string label(const Endpoint& e) const;

  Ports ports_;
  std::vector<std::unique_ptr<Instance>> instances_;
  std::vector<std::unique_ptr<Endpoint>> endpoints_;
  std::vector<Endpoint*> endpoint_of_;  // per instance; null without an interface
  bool started_{false};
};

}  // namespace vigil::vrrp::io
