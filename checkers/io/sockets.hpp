// Socket preparation shared by the probes: open for the target's family, then SO_MARK
// (fwmark), SO_BINDTODEVICE (bind_if) and bind (bindto / bind_port). Internal to io/.
#pragma once
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/socket_base.hpp>
#include <cerrno>
#include <cstring>
#include <string>

#include "checkers/io/asio_time.hpp"
#include "checkers/io/tcp_probe.hpp"

namespace vigil::checkers::io {

inline std::string sys_error(const char* what, int err = errno) {
  return std::string(what) + ": " + std::strerror(err);
}

// An error text when it fails, "" when the socket is ready to connect. `Protocol` is
// boost::asio::ip::tcp or ::udp.
template <class Protocol>
std::string prepare_socket(typename Protocol::socket& s, const TcpTarget& t) {
  boost::system::error_code ec;
  s.open(t.address.is_v4() ? Protocol::v4() : Protocol::v6(), ec);
  if (ec) return "socket: " + ec.message();
  const int fd = s.native_handle();
  if (t.fwmark != 0 && ::setsockopt(fd, SOL_SOCKET, SO_MARK, &t.fwmark, sizeof t.fwmark) != 0)
    return sys_error("SO_MARK");
  if (!t.bind_if.empty() &&
      ::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t.bind_if.data(), static_cast<socklen_t>(t.bind_if.size())) != 0)
    return sys_error("SO_BINDTODEVICE");
  if (t.bindto || t.bind_port != 0) {
    namespace ip = boost::asio::ip;
    const ip::address from = t.bindto ? to_asio(*t.bindto)
                             : t.address.is_v4() ? ip::address(ip::address_v4::any())
                                                 : ip::address(ip::address_v6::any());
    if (t.bind_port != 0) s.set_option(boost::asio::socket_base::reuse_address(true), ec);
    s.bind(typename Protocol::endpoint(from, t.bind_port), ec);
    if (ec) return "bind: " + ec.message();
  }
  return {};
}

// "[10.0.0.1]:25", "[2001:db8::1]:53": keepalived's way of naming a checked endpoint.
inline std::string endpoint_name(const IpAddress& a, std::uint16_t port) {
  return "[" + a.to_string() + "]:" + std::to_string(port);
}

}  // namespace vigil::checkers::io
