#include "vrrpd/io/link_monitor.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <array>
#include <cstring>

namespace vigil::vrrp::io {

bool link_usable(unsigned flags) { return (flags & IFF_UP) && (flags & IFF_RUNNING); }

Result<std::unique_ptr<LinkMonitor>, std::string> LinkMonitor::open(boost::asio::io_context& io,
                                                                      OnEvent on_event,
                                                                      OnAddr on_addr) {
  nl_sock* sock = nl_socket_alloc();
  if (!sock) return unexpected(std::string("nl_socket_alloc: out of memory"));
  nl_socket_disable_seq_check(sock);  // notifications carry no sequence of ours
  int err = nl_connect(sock, NETLINK_ROUTE);
  if (err >= 0) err = nl_socket_add_membership(sock, RTNLGRP_LINK);
  if (err >= 0 && on_addr) err = nl_socket_add_memberships(sock, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, 0);
  // A burst of changes (1,000 VIPs at once) must not overrun the default 208 KiB queue.
  if (err >= 0) err = nl_socket_set_buffer_size(sock, 4 << 20, 0);
  if (err >= 0) err = nl_socket_set_nonblocking(sock);
  if (err < 0) {
    nl_socket_free(sock);
    return unexpected(std::string("link monitor: ") + nl_geterror(err));
  }
  // The stream_descriptor takes its own descriptor; libnl keeps and closes the original.
  const int fd = ::dup(nl_socket_get_fd(sock));
  if (fd < 0) {
    nl_socket_free(sock);
    return unexpected(std::string("link monitor: dup failed"));
  }
  return std::unique_ptr<LinkMonitor>(
      new LinkMonitor(io, sock, fd, std::move(on_event), std::move(on_addr)));
}

LinkMonitor::LinkMonitor(boost::asio::io_context& io, nl_sock* sock, int fd, OnEvent on_event,
                         OnAddr on_addr)
    : sock_(sock),
      fd_(io, fd),
      on_event_(std::move(on_event)),
      on_addr_(std::move(on_addr)),
      alive_(std::make_shared<bool>(true)) {
  nl_socket_modify_cb(sock_, NL_CB_VALID, NL_CB_CUSTOM, &LinkMonitor::on_message, this);
  wait();
}

LinkMonitor::~LinkMonitor() {
  *alive_ = false;
  boost::system::error_code ec;
  fd_.close(ec);
  nl_socket_free(sock_);
}

void LinkMonitor::wait() {
  fd_.async_wait(boost::asio::posix::descriptor_base::wait_read,
                 [this, alive = std::weak_ptr<bool>(alive_)](const boost::system::error_code& ec) {
                   auto a = alive.lock();
                   if (ec || !a || !*a) return;
                   // Until the queue is empty; an overrun (ENOBUFS) only loses events, and
                   // the next ones still carry each link's full state.
                   for (int i = 0; i < 64; ++i) {
                     const int n = nl_recvmsgs_default(sock_);
                     if (n == -NLE_AGAIN || !*a) break;
                   }
                   if (*a) wait();
                 });
}

int LinkMonitor::on_message(nl_msg* msg, void* self) {
  auto* monitor = static_cast<LinkMonitor*>(self);
  nlmsghdr* h = nlmsg_hdr(msg);
  if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
    if (!monitor->on_addr_) return NL_OK;
    nlattr* ta[IFA_MAX + 1];
    if (nlmsg_parse(h, sizeof(ifaddrmsg), ta, IFA_MAX, nullptr) < 0) return NL_OK;
    const auto* ifa = static_cast<const ifaddrmsg*>(nlmsg_data(h));
    nlattr* a = ta[IFA_LOCAL] ? ta[IFA_LOCAL] : ta[IFA_ADDRESS];
    if (!a) return NL_OK;
    AddrEvent e;
    e.ifindex = static_cast<int>(ifa->ifa_index);
    e.removed = h->nlmsg_type == RTM_DELADDR;
    e.address.length = ifa->ifa_prefixlen;
    if (ifa->ifa_family == AF_INET && nla_len(a) == 4) {
      std::uint32_t v = 0;
      std::memcpy(&v, nla_data(a), 4);
      e.address.address = IpAddress::v4(ntohl(v));
    } else if (ifa->ifa_family == AF_INET6 && nla_len(a) == 16) {
      std::array<std::uint8_t, 16> b{};
      std::memcpy(b.data(), nla_data(a), 16);
      e.address.address = IpAddress::v6(b);
    } else {
      return NL_OK;
    }
    monitor->on_addr_(e);
    return NL_OK;
  }
  if (h->nlmsg_type != RTM_NEWLINK && h->nlmsg_type != RTM_DELLINK) return NL_OK;
  nlattr* tb[IFLA_MAX + 1];
  if (nlmsg_parse(h, sizeof(ifinfomsg), tb, IFLA_MAX, nullptr) < 0) return NL_OK;
  const auto* ifi = static_cast<const ifinfomsg*>(nlmsg_data(h));
  LinkEvent e;
  e.ifindex = ifi->ifi_index;
  if (tb[IFLA_IFNAME]) e.name = nla_get_string(tb[IFLA_IFNAME]);
  e.removed = h->nlmsg_type == RTM_DELLINK;
  e.up = !e.removed && link_usable(ifi->ifi_flags);
  monitor->on_event_(e);
  return NL_OK;
}

}  // namespace vigil::vrrp::io
