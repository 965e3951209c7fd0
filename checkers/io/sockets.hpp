// Socket preparation shared by the probes: open for the target's family, then SO_MARK
// (fwmark), SO_BINDTODEVICE (bind_if) and bind (bindto / bind_port). Internal to io/.
#pragma once
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/socket_base.hpp>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/sockaddr.hpp"
#include "checkers/io/asio_time.hpp"
#include "checkers/io/tcp_probe.hpp"

namespace vigil::checkers::io {

inline std::string sys_error(const char* what, int err = errno) {
  return std::string(what) + ": " + std::strerror(err);
}

// A non-blocking, close-on-exec socket of `type` (SOCK_STREAM, SOCK_DGRAM) for the
// target's family, with SO_MARK (fwmark), SO_BINDTODEVICE (bind_if) and bind (bindto /
// bind_port) applied. -1 and `err` when one of them fails (nothing is left open).
inline int open_socket(const TcpTarget& t, int type, std::string& err) {
  const int fd = ::socket(t.address.is_v4() ? AF_INET : AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    err = sys_error("socket");
    return -1;
  }
  auto fail = [&](const char* what) {
    err = sys_error(what);
    ::close(fd);
    return -1;
  };
  if (t.fwmark != 0 && ::setsockopt(fd, SOL_SOCKET, SO_MARK, &t.fwmark, sizeof t.fwmark) != 0) return fail("SO_MARK");
  if (!t.bind_if.empty() &&
      ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t.bind_if.data(), static_cast<socklen_t>(t.bind_if.size())) != 0)
    return fail("SO_BINDTODEVICE");
  if (t.bindto || t.bind_port != 0) {
    const int one = 1;
    if (t.bind_port != 0 && ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) return fail("SO_REUSEADDR");
    const IpAddress from = t.bindto ? *t.bindto : t.address.is_v4() ? IpAddress::v4(0) : IpAddress::v6({});
    const SockAddr sa = to_sockaddr(from, 0, t.bind_port);
    if (::bind(fd, sa.get(), sa.length) != 0) return fail("bind");
  }
  return fd;
}

// The same, as an Asio socket: "" when `s` is ready to connect, else why not.
// `Protocol` is boost::asio::ip::tcp or ::udp.
template <class Protocol>
std::string prepare_socket(typename Protocol::socket& s, const TcpTarget& t) {
  std::string err;
  const int fd = open_socket(t, Protocol::v4().type(), err);
  if (fd < 0) return err;
  boost::system::error_code ec;
  s.assign(t.address.is_v4() ? Protocol::v4() : Protocol::v6(), fd, ec);
  if (ec) {
    ::close(fd);
    return "socket: " + ec.message();
  }
  return {};
}

// "[10.0.0.1]:25", "[2001:db8::1]:53": keepalived's way of naming a checked endpoint.
inline std::string endpoint_name(const IpAddress& a, std::uint16_t port) {
  return "[" + a.to_string() + "]:" + std::to_string(port);
}

}  // namespace vigil::checkers::io
