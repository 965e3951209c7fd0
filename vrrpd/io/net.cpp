#include "vrrpd/io/net.hpp"

#include <ifaddrs.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstring>
#include <memory>

namespace vigil::vrrp::io {

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
