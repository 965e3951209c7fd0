// The sockets of the half-open probe (syn_probe.hpp), one family each: the raw socket with
// its receive filter, the TCP sockets holding the reserved source ports, and sending a SYN.
// Internal to io/.
#pragma once
#include <linux/filter.h>

#include <cerrno>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/ip.hpp"
#include "base/result.hpp"
#include "base/sockaddr.hpp"

namespace vigil::checkers::io {

// Classic BPF over what a raw IPPROTO_TCP socket receives (the IPv4 header first, IPv6
// receives start at TCP): keeps segments to one of `ports` that carry SYN+ACK or RST, and
// no IPv4 fragment but the first.
std::vector<sock_filter> reply_filter(Family family, std::span<const std::uint16_t> ports);

class SynSocket {
 public:
  // The raw socket (non-blocking, filtered, with IP_RECVERR / IPV6_RECVERR and, for IPv6,
  // IPV6_CHECKSUM at offset 16) and up to `ports` reserved ports (at least one).
  static Result<SynSocket, std::string> open(Family family, std::size_t ports);
  SynSocket(SynSocket&& o) noexcept;
  SynSocket& operator=(SynSocket&& o) noexcept;
  ~SynSocket();

  // The raw socket; its owner hands it to the loop (and then closes it).
  int release_fd();
  Family family() const { return family_; }
  const std::vector<std::uint16_t>& ports() const { return ports_; }

 private:
  SynSocket() = default;
  void close_all();
  Family family_{Family::v4};
  int raw_{-1};
  std::vector<int> holders_;  // TCP sockets bound to the reserved ports
  std::vector<std::uint16_t> ports_;
};

// Sends `segment` from the raw socket `fd` to `to`, the source pinned to `src` and the
// interface to `ifindex` by IP_PKTINFO / IPV6_PKTINFO when given. 0 or the errno.
int send_segment(int fd, Family family, const SockAddr& to, std::span<const std::byte> segment,
                 const std::optional<IpAddress>& src, int ifindex);

// The source address the kernel would use towards `dst` from a UDP socket with the probe's
// bind_if (SO_BINDTODEVICE) and bindto (bind) applied: a connect() and getsockname(). Fails
// as connect() would, with its reason ("SO_BINDTODEVICE: ...", "bind: ...", "connect: ...").
// `udp`: a plain UDP socket of dst's family to reuse when neither is given (-1: open one).
Result<IpAddress, std::string> route_source(int udp, const IpAddress& dst, std::uint16_t port,
                                            const std::string& device, const std::optional<IpAddress>& bindto);

// A send error that is not the route's: the SYN is as good as lost (a firewall's DROP,
// a full queue), and connect() would go on retransmitting rather than fail.
inline bool lost_in_transit(int err) {
  return err == EPERM || err == ENOBUFS || err == EAGAIN || err == EWOULDBLOCK || err == ENOMEM || err == EINTR;
}

}  // namespace vigil::checkers::io
