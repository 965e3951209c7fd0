// A NETLINK_GENERIC socket: datagrams out, datagrams in with a bounded wait. Blocking with
// poll(2) for the one-shot CLI; the Asio driver will own the same fd non-blocking instead
// (see DOC.md). Owns its fd.
#pragma once
#include <chrono>
#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "ipvs_glue/io/port.hpp"

namespace vigil::ipvs {

class NetlinkSocket {
 public:
  // Opens, binds, asks for extended ACKs and capped ACKs, and a receive buffer of
  // rcvbuf_bytes (forced when we may, else as large as the system allows).
  static Result<NetlinkSocket, IpvsError> open(int rcvbuf_bytes);
  NetlinkSocket(NetlinkSocket&& o) noexcept;
  NetlinkSocket& operator=(NetlinkSocket&& o) noexcept;
  NetlinkSocket(const NetlinkSocket&) = delete;
  NetlinkSocket& operator=(const NetlinkSocket&) = delete;
  ~NetlinkSocket();

  int fd() const { return fd_; }
  // Gives up the fd (to the Asio driver); the socket is then empty.
  int release() { return std::exchange(fd_, -1); }
  int rcvbuf() const { return rcvbuf_; }  // what the kernel granted
  Result<void, IpvsError> send(std::span<const std::byte> bytes);
  // One datagram, waiting at most `timeout`; Kind::timeout when none came. ENOBUFS (the
  // kernel dropped replies: our buffer overflowed) is a Kind::io error with err ENOBUFS.
  Result<std::span<const std::byte>, IpvsError> receive(std::chrono::milliseconds timeout);

 private:
  explicit NetlinkSocket(int fd) : fd_(fd), buf_(kBufferBytes) {}
  static constexpr std::size_t kBufferBytes = 1 << 17;  // above any genl dump skb
  int fd_{-1};
  int rcvbuf_{0};
  std::vector<std::byte> buf_;
};

}  // namespace vigil::ipvs
