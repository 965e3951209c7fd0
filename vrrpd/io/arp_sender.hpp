// The port through which a Master announces a virtual address on its interface: gratuitous
// ARP for IPv4, unsolicited Neighbor Advertisement for IPv6. PacketArpSender is the real one:
// an AF_PACKET datagram socket (ETH_P_ARP) and an ICMPv6 raw socket with hop limit 255
// (RFC 4861 §7.1.2 requires 255 on receipt). Both are opened on first use.
#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/ip.hpp"
#include "base/result.hpp"
#include "vrrpd/io/net.hpp"

namespace vigil::vrrp::io {

class ArpSender {
 public:
  virtual ~ArpSender() = default;
  // One gratuitous ARP (IPv4) or unsolicited NA (IPv6) for vip on the interface.
  virtual Result<void, std::string> announce(int ifindex, const IpAddress& vip) = 0;
  // The interface changed (its MAC address may have): forget what was cached of it.
  virtual void link_changed(int /*ifindex*/) {}
  // Get ready to announce on the interface (open the socket, learn the MAC) now, so that
  // becoming Master does not pay for it.
  virtual void prepare(int /*ifindex*/, Family /*family*/) {}
};

class PacketArpSender final : public ArpSender {
 public:
  PacketArpSender() = default;
  ~PacketArpSender() override;
  PacketArpSender(const PacketArpSender&) = delete;
  PacketArpSender& operator=(const PacketArpSender&) = delete;

  Result<void, std::string> announce(int ifindex, const IpAddress& vip) override;
  void link_changed(int ifindex) override { std::erase_if(macs_, [&](const auto& m) { return m.first == ifindex; }); }
  void prepare(int ifindex, Family family) override;

 private:
  Result<void, std::string> send_arp(int ifindex, const IpAddress& vip);
  Result<void, std::string> send_na(int ifindex, const IpAddress& vip);
  Result<void, std::string> open_packet();
  Result<void, std::string> open_icmp6();
  // The interface's MAC, asked of the kernel once (two ioctls) until link_changed().
  Result<MacAddress, std::string> mac(int fd, int ifindex);

  int packet_fd_{-1};
  int icmp6_fd_{-1};
  std::vector<std::pair<int, MacAddress>> macs_;
};

}  // namespace vigil::vrrp::io
