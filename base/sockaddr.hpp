// Where vigil's address values meet struct sockaddr (libc only; the io/ layers' sockets use it).
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/ip.hpp"

namespace vigil {

struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length{};
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

// scope_id is used for IPv6 link-local and multicast link-scope destinations.
SockAddr to_sockaddr(const IpAddress& a, int scope_id = 0, std::uint16_t port = 0);
std::optional<IpAddress> from_sockaddr(const sockaddr_storage& s);
in_addr to_in_addr(const IpAddress& a);
in6_addr to_in6_addr(const IpAddress& a);
IpAddress from_in_addr(const in_addr& a);
IpAddress from_in6_addr(const in6_addr& a);

// Room for one IP_PKTINFO or IPV6_PKTINFO control message.
struct alignas(cmsghdr) PktinfoControl {
  std::byte bytes[CMSG_SPACE(sizeof(in6_pktinfo))];
};
// Points `msg` at `control`, filled with the IP_PKTINFO (IPv4) or IPV6_PKTINFO (IPv6) of one
// send: its source address (none: the kernel's choice) and outgoing interface (0: any).
void set_pktinfo(msghdr& msg, PktinfoControl& control, Family family, int ifindex,
                 const std::optional<IpAddress>& src);

}  // namespace vigil
