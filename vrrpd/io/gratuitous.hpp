// Announcement messages, as bytes (pure): the gratuitous ARP of RFC 5227 §2.4 / RFC 5798
// §6.4.1 as keepalived sends it, and the unsolicited Neighbor Advertisement of RFC 4861
// §4.4 / §7.2.6 with R=1, S=0, O=1 (RFC 5798 §6.4.2).
#pragma once
#include <cstddef>
#include <vector>

#include "base/ip.hpp"
#include "vrrpd/io/net.hpp"

namespace vigil::vrrp::io {

// The ARP message (the Ethernet payload, EtherType 0x0806): an ARP request whose sender and
// target protocol addresses are both the VIP; target hardware address broadcast, as
// keepalived does.
std::vector<std::byte> gratuitous_arp(const MacAddress& mac, const IpAddress& vip);

// The ICMPv6 message (type 136) with a Target Link-Layer Address option. The checksum is
// left zero: the kernel fills it in on an ICMPv6 raw socket.
std::vector<std::byte> unsolicited_na(const MacAddress& mac, const IpAddress& vip,
                                      bool router = true);

}  // namespace vigil::vrrp::io
