#include "vrrpd/io/arp_sender.hpp"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "vrrpd/io/gratuitous.hpp"
#include "vrrpd/io/net.hpp"

namespace vigil::vrrp::io {
namespace {

constexpr int kHopLimit = 255;

std::string fail(const std::string& what) { return what + ": " + errno_text(errno); }

Result<MacAddress, std::string> mac_of(int fd, int ifindex) {
  ifreq req{};
  req.ifr_ifindex = ifindex;
  if (::ioctl(fd, SIOCGIFNAME, &req) < 0) return unexpected(fail("SIOCGIFNAME"));
  if (::ioctl(fd, SIOCGIFHWADDR, &req) < 0) return unexpected(fail("SIOCGIFHWADDR"));
  MacAddress mac{};
  std::memcpy(mac.data(), req.ifr_hwaddr.sa_data, mac.size());
  return mac;
}

}  // namespace

Result<MacAddress, std::string> PacketArpSender::mac(int fd, int ifindex) {
  for (const auto& [index, m] : macs_)
    if (index == ifindex) return m;
  auto m = mac_of(fd, ifindex);
  if (m) macs_.emplace_back(ifindex, *m);
  return m;
}

PacketArpSender::~PacketArpSender() {
  if (packet_fd_ >= 0) ::close(packet_fd_);
  if (icmp6_fd_ >= 0) ::close(icmp6_fd_);
}

Result<void, std::string> PacketArpSender::announce(int ifindex, const IpAddress& vip) {
  return vip.is_v4() ? send_arp(ifindex, vip) : send_na(ifindex, vip);
}

void PacketArpSender::prepare(int ifindex, Family family) {
  if (ifindex <= 0) return;
  if (family == Family::v4 ? !open_packet() : !open_icmp6()) return;  // reported on use
  (void)mac(family == Family::v4 ? packet_fd_ : icmp6_fd_, ifindex);
}

Result<void, std::string> PacketArpSender::open_packet() {
  if (packet_fd_ >= 0) return {};
  // Send only: protocol 0 receives nothing, so the socket never fills up.
  packet_fd_ = ::socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (packet_fd_ < 0) return unexpected(fail("AF_PACKET socket"));
  return {};
}

Result<void, std::string> PacketArpSender::open_icmp6() {
  if (icmp6_fd_ >= 0) return {};
  icmp6_fd_ = ::socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6);
  if (icmp6_fd_ < 0) return unexpected(fail("ICMPv6 socket"));
  const int hops = kHopLimit;
  ::setsockopt(icmp6_fd_, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops);
  ::setsockopt(icmp6_fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof hops);
  // Receive nothing: filter every ICMPv6 type out.
  std::uint32_t filter[8];
  std::memset(filter, 0xff, sizeof filter);
  ::setsockopt(icmp6_fd_, IPPROTO_ICMPV6, 1 /* ICMP6_FILTER */, filter, sizeof filter);
  return {};
}

Result<void, std::string> PacketArpSender::send_arp(int ifindex, const IpAddress& vip) {
  if (auto opened = open_packet(); !opened) return opened;
  auto mac = this->mac(packet_fd_, ifindex);
  if (!mac) return unexpected(mac.error());
  const auto frame = gratuitous_arp(*mac, vip);
  sockaddr_ll to{};
  to.sll_family = AF_PACKET;
  to.sll_protocol = htons(ETH_P_ARP);
  to.sll_ifindex = ifindex;
  to.sll_halen = 6;
  std::memset(to.sll_addr, 0xff, 6);
  if (::sendto(packet_fd_, frame.data(), frame.size(), MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0)
    return unexpected(fail("gratuitous ARP for " + vip.to_string()));
  return {};
}

Result<void, std::string> PacketArpSender::send_na(int ifindex, const IpAddress& vip) {
  if (auto opened = open_icmp6(); !opened) return opened;
  auto mac = this->mac(icmp6_fd_, ifindex);
  if (!mac) return unexpected(mac.error());
  const auto msg = unsolicited_na(*mac, vip);
  // RFC 4861 §7.2.6: to the all-nodes multicast address; the kernel picks the link-local
  // source of the interface named in IPV6_PKTINFO.
  const auto to = to_sockaddr(*IpAddress::parse("ff02::1"), ifindex);
  iovec iov{const_cast<std::byte*>(msg.data()), msg.size()};
  alignas(cmsghdr) std::byte control[CMSG_SPACE(sizeof(in6_pktinfo))]{};
  msghdr m{};
  m.msg_name = const_cast<sockaddr*>(to.get());
  m.msg_namelen = to.length;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
  in6_pktinfo info{};
  info.ipi6_ifindex = static_cast<unsigned>(ifindex);
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
  if (::sendmsg(icmp6_fd_, &m, MSG_DONTWAIT) < 0)
    return unexpected(fail("unsolicited NA for " + vip.to_string()));
  return {};
}

}  // namespace vigil::vrrp::io
