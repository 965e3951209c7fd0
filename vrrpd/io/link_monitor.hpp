// Interface up/down from the kernel: a NETLINK_ROUTE socket subscribed to RTNLGRP_LINK,
// driven by its fd on the loop (libnl parses; nothing here waits). Each RTM_NEWLINK /
// RTM_DELLINK becomes a LinkEvent; the service maps them to instances' FAULT edges.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>
#include <memory>
#include <string>

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

// keepalived's notion of a usable interface: up and with carrier.
bool link_usable(unsigned flags);

class LinkMonitor {
 public:
  using OnEvent = std::function<void(const LinkEvent&)>;
  static Result<std::unique_ptr<LinkMonitor>, std::string> open(boost::asio::io_context& io,
                                                                 OnEvent on_event);
  ~LinkMonitor();
  LinkMonitor(const LinkMonitor&) = delete;
  LinkMonitor& operator=(const LinkMonitor&) = delete;

 private:
  LinkMonitor(boost::asio::io_context& io, nl_sock* sock, int fd, OnEvent on_event);
  static int on_message(nl_msg* msg, void* self);
  void wait();

  nl_sock* sock_;
  boost::asio::posix::stream_descriptor fd_;
  OnEvent on_event_;
  std::shared_ptr<bool> alive_;
};

}  // namespace vigil::vrrp::io
