// The port through which a Master announces a virtual address on its interface: gratuitous
// ARP for IPv4, unsolicited Neighbor Advertisement for IPv6. PacketArpSender is the real one:
// an AF_PACKET datagram socket (ETH_P_ARP) and an ICMPv6 raw socket with hop limit 255
// (RFC 4861 §7.1.2 requires 255 on receipt). Both are opened on first use.
#pragma once
#include <memory>
#include <string>

#include "base/ip.hpp"
#include "base/result.hpp"

namespace vigil::vrrp::io {

class ArpSender {
 public:
  virtual ~ArpSender() = default;
  // One gratuitous ARP (IPv4) or unsolicited NA (IPv6) for vip on the interface.
  virtual Result<void, std::string> announce(int ifindex, const IpAddress& vip) = 0;
};

class PacketArpSender final : public ArpSender {
 public:
  PacketArpSender() = default;
  ~PacketArpSender() override;
  PacketArpSender(const PacketArpSender&) = delete;
  PacketArpSender& operator=(const PacketArpSender&) = delete;

  Result<void, std::string> announce(int ifindex, const IpAddress& vip) override;

 private:
  Result<void, std::string> send_arp(int ifindex, const IpAddress& vip);
  Result<void, std::string> send_na(int ifindex, const IpAddress& vip);

  int packet_fd_{-1};
  int icmp6_fd_{-1};
};

}  // namespace vigil::vrrp::io
