#include "base/sockaddr.hpp"

#include <cstring>

namespace vigil {

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

SockAddr to_sockaddr(const IpAddress& a, int scope_id, std::uint16_t port) {
  SockAddr out;
  if (a.is_v4()) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_addr = to_in_addr(a);
    sin.sin_port = htons(port);
    std::memcpy(&out.storage, &sin, sizeof sin);
    out.length = sizeof sin;
  } else {
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_addr = to_in6_addr(a);
    sin6.sin6_scope_id = static_cast<std::uint32_t>(scope_id);
    sin6.sin6_port = htons(port);
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

namespace {

// `info` as msg's one control message, in `control`.
template <class Info>
void put_control(msghdr& msg, PktinfoControl& control, int level, int type, const Info& info) {
  msg.msg_control = control.bytes;
  msg.msg_controllen = CMSG_SPACE(sizeof info);
  cmsghdr* c = reinterpret_cast<cmsghdr*>(control.bytes);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof info);
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
}

}  // namespace

void set_pktinfo(msghdr& msg, PktinfoControl& control, Family family, int ifindex,
                 const std::optional<IpAddress>& src) {
  if (family == Family::v4) {
    in_pktinfo info{};
    info.ipi_ifindex = ifindex;
    if (src) info.ipi_spec_dst = to_in_addr(*src);
    put_control(msg, control, IPPROTO_IP, IP_PKTINFO, info);
  } else {
    in6_pktinfo info{};
    info.ipi6_ifindex = static_cast<unsigned>(ifindex);
    if (src) info.ipi6_addr = to_in6_addr(*src);
    put_control(msg, control, IPPROTO_IPV6, IPV6_PKTINFO, info);
  }
}

}  // namespace vigil
