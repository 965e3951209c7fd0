#include "vrrpd/io/net.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <memory>

namespace vigil::vrrp::io {

in_addr to_in_addr(const IpAddress& a) {
  in_addr out{};
  std::memcpy(&out.s_addr, a.bytes().data(), 4);  // bytes() is network order
  return out;
}

in6_addr to_in6_addr(const IpAddress& a) {
  in6_addr out{};
  std::memcpy(out.s6_addr, a.bytes().data(), 16);
  return out;
}

IpAddress from_in_addr(const in_addr& a) { return IpAddress::v4(ntohl(a.s_addr)); }

IpAddress from_in6_addr(const in6_addr& a) {
  std::array<std::uint8_t, 16> b{};
  std::memcpy(b.data(), a.s6_addr, 16);
  return IpAddress::v6(b);
}

SockAddr to_sockaddr(const IpAddress& a, int scope_id) {
  SockAddr out;
  if (a.is_v4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr = to_in_addr(a);
    std::memcpy(&out.storage, &sin, sizeof sin);
    out.length = sizeof sin;
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = to_in6_addr(a);
    sin6.sin6_scope_id = static_cast<std::uint32_t>(scope_id);
    std::memcpy(&out.storage, &sin6, sizeof sin6);
    out.length = sizeof sin6;
  }
  return out;
}

std::optional<IpAddress> from_sockaddr(const sockaddr_storage& s) {
  if (s.ss_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, &s, sizeof sin);
    return from_in_addr(sin.sin_addr);
  }
  if (s.ss_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, &s, sizeof sin6);
    return from_in6_addr(sin6.sin6_addr);
  }
  return std::nullopt;
}

std::optional<InterfaceInfo> lookup_interface(const std::string& name) {
  InterfaceInfo info;
  info.name = name;
  info.ifindex = static_cast<int>(::if_nametoindex(name.c_str()));
  if (info.ifindex == 0 || name.size() >= IFNAMSIZ) return std::nullopt;

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd >= 0) {
    ifreq req{};
    std::memcpy(req.ifr_name, name.c_str(), name.size() + 1);
    if (::ioctl(fd, SIOCGIFHWADDR, &req) == 0)
      std::memcpy(info.mac.data(), req.ifr_hwaddr.sa_data, info.mac.size());
    if (::ioctl(fd, SIOCGIFFLAGS, &req) == 0) {
      info.up = (req.ifr_flags & IFF_UP) != 0;
      info.running = (req.ifr_flags & IFF_RUNNING) != 0;
    }
    ::close(fd);
  }

  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return info;
  std::unique_ptr<ifaddrs, decltype(&::freeifaddrs)> guard(list, &::freeifaddrs);
  for (auto* it = list; it; it = it->ifa_next) {
    if (!it->ifa_addr || name != it->ifa_name) continue;
    sockaddr_storage s{};
    const auto len = it->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (it->ifa_addr->sa_family != AF_INET && it->ifa_addr->sa_family != AF_INET6) continue;
    std::memcpy(&s, it->ifa_addr, len);
    auto a = from_sockaddr(s);
    if (!a) continue;
    if (a->is_v4() && !info.ipv4) info.ipv4 = a;
    if (a->is_v6() && a->is_link_local() && !info.ipv6_link_local) info.ipv6_link_local = a;
  }
  return info;
}

std::string errno_text(int err) {
  char buf[128];
  return ::strerror_r(err, buf, sizeof buf);
}

}  // namespace vigil::vrrp::io
