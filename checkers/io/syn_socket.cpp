#include "checkers/io/syn_socket.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <utility>

#include "checkers/core/tcp_syn.hpp"
#include "checkers/io/sockets.hpp"

namespace vigil::checkers::io {

std::vector<sock_filter> reply_filter(Family family, std::span<const std::uint16_t> ports) {
  std::vector<sock_filter> f;
  auto op = [&f](std::uint16_t code, std::uint32_t k, std::uint8_t jt = 0, std::uint8_t jf = 0) {
    f.push_back(sock_filter{code, jt, jf, k});
    return f.size() - 1;
  };
  // Forward jumps to the verdicts, patched once their places are known.
  std::vector<std::size_t> to_drop, to_flags;
  if (family == Family::v4) {
    op(BPF_LD | BPF_H | BPF_ABS, 6);                        // IPv4 flags + fragment offset
    to_drop.push_back(op(BPF_JMP | BPF_JSET | BPF_K, 0x1fff));  // a later fragment: no TCP header
    op(BPF_LDX | BPF_B | BPF_MSH, 0);                       // X = IHL * 4: where TCP starts
  } else {
    op(BPF_LDX | BPF_W | BPF_IMM, 0);  // X = 0: an IPv6 raw receive starts at TCP
  }
  op(BPF_LD | BPF_H | BPF_IND, 2);  // TCP destination port
  for (const std::uint16_t p : ports) to_flags.push_back(op(BPF_JMP | BPF_JEQ | BPF_K, p));
  to_drop.push_back(op(BPF_JMP | BPF_JA, 0));  // none of ours
  const std::size_t flags = op(BPF_LD | BPF_B | BPF_IND, 13);  // control bits
  const std::size_t rst = op(BPF_JMP | BPF_JSET | BPF_K, syn::kRst);
  op(BPF_ALU | BPF_AND | BPF_K, syn::kSyn | syn::kAck);
  const std::size_t syn_ack = op(BPF_JMP | BPF_JEQ | BPF_K, syn::kSyn | syn::kAck);
  const std::size_t accept = op(BPF_RET | BPF_K, 0xffff);
  const std::size_t drop = op(BPF_RET | BPF_K, 0);
  auto offset = [](std::size_t from, std::size_t to) { return static_cast<std::uint8_t>(to - from - 1); };
  for (const std::size_t i : to_flags) f[i].jt = offset(i, flags);
  for (const std::size_t i : to_drop) {
    if (f[i].code == (BPF_JMP | BPF_JA)) f[i].k = offset(i, drop);
    else f[i].jt = offset(i, drop);
  }
  f[rst].jt = offset(rst, accept);
  f[syn_ack].jt = offset(syn_ack, accept);
  f[syn_ack].jf = offset(syn_ack, drop);
  return f;
}

Result<SynSocket, std::string> SynSocket::open(Family family, std::size_t ports) {
  const int af = family == Family::v4 ? AF_INET : AF_INET6;
  SynSocket s;
  s.family_ = family;
  s.raw_ = ::socket(af, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (s.raw_ < 0) return unexpected(sys_error("raw socket"));
  const int one = 1;
  if (family == Family::v4) {
    if (::setsockopt(s.raw_, IPPROTO_IP, IP_RECVERR, &one, sizeof one) != 0) return unexpected(sys_error("IP_RECVERR"));
  } else {
    const int checksum_at = 16;  // the TCP checksum field: the kernel fills it in (and checks replies)
    if (::setsockopt(s.raw_, IPPROTO_IPV6, IPV6_CHECKSUM, &checksum_at, sizeof checksum_at) != 0)
      return unexpected(sys_error("IPV6_CHECKSUM"));
    if (::setsockopt(s.raw_, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one) != 0)
      return unexpected(sys_error("IPV6_RECVERR"));
  }
  // Replies to a burst of probes arrive together: room for them (root may exceed rmem_max).
  const int size = 1 << 20;
  if (::setsockopt(s.raw_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
    ::setsockopt(s.raw_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  // The ports: TCP sockets bound to port 0 (the kernel picks a free one), never listening.
  std::string why;
  while (s.ports_.size() < ports) {
    const int h = ::socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h < 0) {
      why = sys_error("socket");
      break;
    }
    if (family == Family::v6) ::setsockopt(h, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    const SockAddr any = to_sockaddr(family == Family::v4 ? IpAddress::v4(0) : IpAddress::v6({}));
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    if (::bind(h, any.get(), any.length) != 0 || ::getsockname(h, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
      why = sys_error("bind");
      ::close(h);
      break;
    }
    s.holders_.push_back(h);
    // sin_port and sin6_port are at the same offset, 2.
    std::uint16_t port_be = 0;
    std::memcpy(&port_be, reinterpret_cast<const std::byte*>(&bound) + offsetof(sockaddr_in, sin_port), sizeof port_be);
    s.ports_.push_back(ntohs(port_be));
  }
  if (s.ports_.empty()) return unexpected("reserving a source port: " + why);
  const auto program = reply_filter(family, s.ports_);
  const sock_fprog prog{static_cast<unsigned short>(program.size()), const_cast<sock_filter*>(program.data())};
  if (::setsockopt(s.raw_, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
    return unexpected(sys_error("SO_ATTACH_FILTER"));
  // What arrived before the filter was attached is not ours: drop it.
  std::byte scratch[64];
  while (::recv(s.raw_, scratch, sizeof scratch, MSG_DONTWAIT) >= 0) {
  }
  return s;
}

SynSocket::SynSocket(SynSocket&& o) noexcept
    : family_(o.family_), raw_(std::exchange(o.raw_, -1)), holders_(std::move(o.holders_)),
      ports_(std::move(o.ports_)) {
  o.holders_.clear();
}

SynSocket& SynSocket::operator=(SynSocket&& o) noexcept {
  if (this != &o) {
    close_all();
    family_ = o.family_;
    raw_ = std::exchange(o.raw_, -1);
    holders_ = std::move(o.holders_);
    o.holders_.clear();
    ports_ = std::move(o.ports_);
  }
  return *this;
}

SynSocket::~SynSocket() { close_all(); }

void SynSocket::close_all() {
  if (raw_ >= 0) ::close(raw_);
  raw_ = -1;
  for (const int h : holders_) ::close(h);
  holders_.clear();
}

int SynSocket::release_fd() { return std::exchange(raw_, -1); }

int send_segment(int fd, Family family, const SockAddr& to, std::span<const std::byte> segment,
                 const std::optional<IpAddress>& src, int ifindex) {
  iovec iov{const_cast<std::byte*>(segment.data()), segment.size()};
  msghdr m{};
  m.msg_name = const_cast<sockaddr*>(to.get());
  m.msg_namelen = to.length;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  PktinfoControl control{};
  if (src || ifindex != 0) set_pktinfo(m, control, family, ifindex, src);
  return ::sendmsg(fd, &m, MSG_DONTWAIT) < 0 ? errno : 0;
}

Result<IpAddress, std::string> route_source(int udp, const IpAddress& dst, std::uint16_t port,
                                            const std::string& device, const std::optional<IpAddress>& bindto) {
  const bool own = udp < 0 || !device.empty() || bindto;
  const int fd = own ? ::socket(dst.is_v4() ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0) : udp;
  if (fd < 0) return unexpected(sys_error("socket"));
  std::string err;
  if (!device.empty() &&
      ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device.data(), static_cast<socklen_t>(device.size())) != 0)
    err = sys_error("SO_BINDTODEVICE");
  if (err.empty() && bindto) {
    const SockAddr from = to_sockaddr(*bindto);
    if (::bind(fd, from.get(), from.length) != 0) err = sys_error("bind");
  }
  const SockAddr to = to_sockaddr(dst, 0, port != 0 ? port : 9);
  if (err.empty() && ::connect(fd, to.get(), to.length) != 0) err = sys_error("connect");
  sockaddr_storage src{};
  socklen_t len = sizeof src;
  if (err.empty() && ::getsockname(fd, reinterpret_cast<sockaddr*>(&src), &len) != 0) err = sys_error("getsockname");
  if (own) ::close(fd);
  if (!err.empty()) return unexpected(std::move(err));
  const auto a = from_sockaddr(src);
  if (!a) return unexpected(std::string("getsockname: no address"));
  return *a;
}

}  // namespace vigil::checkers::io
