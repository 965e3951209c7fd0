#include "ipvs_glue/io/netlink_socket.hpp"

#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace vigil::ipvs {
namespace {

IpvsError sys_error(const char* what, int err) {
  return IpvsError{IpvsError::Kind::io, err, std::string("netlink ") + what + ": " + errno_text(err)};
}

void set_int(int fd, int level, int name, int value) {
  (void)::setsockopt(fd, level, name, &value, sizeof value);  // best effort
}

int granted_rcvbuf(int fd) {
  int v = 0;
  socklen_t len = sizeof v;
  return ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 ? v : 0;
}

}  // namespace

Result<NetlinkSocket, IpvsError> NetlinkSocket::open(int rcvbuf_bytes) {
  const int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
  if (fd < 0) return unexpected(sys_error("socket", errno));
  NetlinkSocket s(fd);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) < 0)
    return unexpected(sys_error("bind", errno));
  set_int(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
  set_int(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
  if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf_bytes, sizeof rcvbuf_bytes) < 0)
    set_int(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf_bytes);
  s.rcvbuf_ = granted_rcvbuf(fd);
  return s;
}

NetlinkSocket::NetlinkSocket(NetlinkSocket&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)), rcvbuf_(o.rcvbuf_), buf_(std::move(o.buf_)) {}

NetlinkSocket& NetlinkSocket::operator=(NetlinkSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    rcvbuf_ = o.rcvbuf_;
    buf_ = std::move(o.buf_);
  }
  return *this;
}

NetlinkSocket::~NetlinkSocket() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void, IpvsError> NetlinkSocket::send(std::span<const std::byte> bytes) {
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  for (;;) {
    const ssize_t n = ::sendto(fd_, bytes.data(), bytes.size(), 0,
                               reinterpret_cast<const sockaddr*>(&kernel), sizeof kernel);
    if (n == static_cast<ssize_t>(bytes.size())) return {};
    if (n < 0 && errno == EINTR) continue;
    return unexpected(sys_error("send", n < 0 ? errno : EMSGSIZE));
  }
}

Result<std::span<const std::byte>, IpvsError> NetlinkSocket::receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  bool waited = false;
  for (;;) {
    // A datagram is usually there already: poll only when the socket is empty.
    if (waited) {
      const int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
      if (r < 0 && errno == EINTR) continue;
      if (r < 0) return unexpected(sys_error("poll", errno));
      if (r == 0) return unexpected(IpvsError{IpvsError::Kind::timeout, ETIMEDOUT, "netlink: no reply in time"});
    }
    const ssize_t n = ::recv(fd_, buf_.data(), buf_.size(), MSG_TRUNC | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      waited = true;
      continue;
    }
    if (n < 0) return unexpected(sys_error("receive", errno));
    if (static_cast<std::size_t>(n) > buf_.size())
      return unexpected(IpvsError{IpvsError::Kind::protocol, EMSGSIZE, "netlink: reply larger than the buffer"});
    return std::span<const std::byte>(buf_.data(), static_cast<std::size_t>(n));
  }
}

}  // namespace vigil::ipvs
