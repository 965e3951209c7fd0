// Where vigil's address values meet struct sockaddr (libc only; the io/ layers' sockets use it).
#pragma once
#include <netinet/in.h>
#include <sys/socket.h>

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

}  // namespace vigil
