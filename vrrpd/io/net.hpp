// The only place where vigil's address values meet struct sockaddr, and the host's view of an
// interface (index, MAC, flags, addresses) as a value.
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "base/ip.hpp"

namespace vigil::vrrp::io {

using MacAddress = std::array<std::uint8_t, 6>;

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length{};
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// scope_id is used for IPv6 link-local and multicast link-scope destinations.
SockAddr to_sockaddr(const IpAddress& a, int scope_id = 0);
std::optional<IpAddress> from_sockaddr(const sockaddr_storage& s);
in_addr to_in_addr(const IpAddress& a);
in6_addr to_in6_addr(const IpAddress& a);
IpAddress from_in_addr(const in_addr& a);
IpAddress from_in6_addr(const in6_addr& a);

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
