// The host's view of an interface (index, MAC, flags, addresses) as a value; the sockaddr
// conversions come from base/sockaddr.hpp.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "base/ip.hpp"
#include "base/sockaddr.hpp"

namespace vigil::vrrp::io {

using MacAddress = std::array<std::uint8_t, 6>;

using vigil::from_in6_addr;
using vigil::from_in_addr;
using vigil::from_sockaddr;
using vigil::SockAddr;
using vigil::to_in6_addr;
using vigil::to_in_addr;
using vigil::to_sockaddr;

struct InterfaceInfo {
  std::string name;
  int ifindex{};
  MacAddress mac{};
  bool up{false};       // IFF_UP
  bool running{false};  // IFF_RUNNING (carrier)
  std::optional<IpAddress> ipv4;            // the first IPv4 address: VRRP's primary
  std::optional<IpAddress> ipv6_link_local; // RFC 5798 §5.1.2.2: the IPv6 source
};

// Reads the interface from the kernel (if_nametoindex, getifaddrs, SIOCGIFHWADDR). Empty when
// there is no such interface.
std::optional<InterfaceInfo> lookup_interface(const std::string& name);

std::string errno_text(int err);

}  // namespace vigil::vrrp::io
