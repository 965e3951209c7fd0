// Interface and address changes from the kernel: a NETLINK_ROUTE socket subscribed to
// RTNLGRP_LINK (and RTNLGRP_IPV4_IFADDR / RTNLGRP_IPV6_IFADDR when addresses are asked for),
// driven by its fd on the loop (libnl parses; nothing here waits). Each RTM_NEWLINK /
// RTM_DELLINK becomes a LinkEvent (the service maps them to FAULT edges, tracked interfaces
// and interfaces that appear late); each RTM_NEWADDR / RTM_DELADDR an AddrEvent (a VIP
// deleted by hand is put back).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <string>

#include "base/ip.hpp"
#include "base/result.hpp"

struct nl_sock;
struct nl_msg;

namespace vigil::vrrp::io {

struct LinkEvent {
  int ifindex{};
  std::string name;
  bool up{false};       // IFF_UP and IFF_RUNNING (administratively up, with carrier)
  bool removed{false};  // RTM_DELLINK
};

struct AddrEvent {
  int ifindex{};
  Prefix address;  // IFA_LOCAL (IFA_ADDRESS when absent) with the prefix length
  bool removed{false};  // RTM_DELADDR
};

// keepalived's notion of a usable interface: up and with carrier.
bool link_usable(unsigned flags);

class LinkMonitor {
 public:
  using OnEvent = std::function<void(const LinkEvent&)>;
  using OnAddr = std::function<void(const AddrEvent&)>;
  static Result<std::unique_ptr<LinkMonitor>, std::string> open(boost::asio::io_context& io,
                                                                 OnEvent on_event,
                                                                 OnAddr on_addr = nullptr);
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

 private:
  LinkMonitor(boost::asio::io_context& io, nl_sock* sock, int fd, OnEvent on_event,
              OnAddr on_addr);
  static int on_message(nl_msg* msg, void* self);
  void wait();

  nl_sock* sock_;
  boost::asio::posix::stream_descriptor fd_;
  OnEvent on_event_;
  OnAddr on_addr_;
  std::shared_ptr<bool> alive_;
};

}  // namespace vigil::vrrp::io
