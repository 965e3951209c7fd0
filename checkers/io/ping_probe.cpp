#include "checkers/io/ping_probe.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/generic/raw_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <cstring>
#include <random>

#include "checkers/io/sockets.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;
// Either kind of socket (SOCK_DGRAM or SOCK_RAW) behind one type: the generic raw
// protocol only carries the family and protocol numbers; the fd is opened by hand.
using proto = asio::generic::raw_protocol;

std::uint16_t inet_checksum(const std::uint8_t* data, std::size_t len) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < len; i += 2) sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
  if (len & 1) sum += static_cast<std::uint32_t>(data[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

PingTarget ping_target(const conf::PingCheck& c) {
  PingTarget t;
  t.host = tcp_target(c);
  return t;
}

struct PingProber::Probe {
  explicit Probe(asio::io_context& io) : socket(io), timer(io) {}
  proto::socket socket;
  asio::steady_timer timer;
  bool v6{false};
  bool raw{false};
  std::uint16_t id{0}, seq{0};
  std::array<std::uint8_t, 1500> buf{};
  std::string name;
  ProbeDone done;
};

PingProber::PingProber(asio::io_context& io, Mode mode)
    : io_(io), mode_(mode), next_seq_(static_cast<std::uint16_t>(std::random_device{}())) {}

PingProber::~PingProber() {
  for (auto& [token, p] : probes_) {
    p->done = nullptr;
    boost::system::error_code ec;
    p->socket.close(ec);
    p->timer.cancel();
  }
}

namespace {

// The sockaddr of the target, for connect().
proto::endpoint endpoint_of(const IpAddress& a) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (a.is_v4()) {
    auto* s = reinterpret_cast<sockaddr_in*>(&ss);
    s->sin_family = AF_INET;
    s->sin_addr.s_addr = htonl(a.v4_host_order());
    len = sizeof(sockaddr_in);
  } else {
    auto* s = reinterpret_cast<sockaddr_in6*>(&ss);
    s->sin6_family = AF_INET6;
    std::memcpy(&s->sin6_addr, a.bytes().data(), 16);
    len = sizeof(sockaddr_in6);
  }
  return proto::endpoint(&ss, len, a.is_v4() ? int{IPPROTO_ICMP} : int{IPPROTO_ICMPV6});
}

}  // namespace

std::uint64_t PingProber::start(const PingTarget& target, TimePoint deadline, ProbeDone done) {
  const std::uint64_t token = next_token_++;
  auto p = std::make_shared<Probe>(io_);
  p->done = std::move(done);
  const TcpTarget& t = target.host;
  p->v6 = t.address.is_v6();
  p->name = "[" + t.address.to_string() + "]";
  p->seq = ++next_seq_;
  p->id = static_cast<std::uint16_t>(::getpid() ^ (token * 0x9e37));
  probes_.emplace(token, p);

  const int family = p->v6 ? int{AF_INET6} : int{AF_INET};
  const int protocol = p->v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP};
  std::string err;
  int fd = -1;
  Mode want = mode_ == Mode::automatic ? used_[p->v6].value_or(Mode::dgram) : mode_;
  if (want == Mode::dgram) {
    fd = ::socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
    if (fd < 0 && mode_ == Mode::automatic && (errno == EACCES || errno == EPERM || errno == EPROTONOSUPPORT))
      want = Mode::raw;  // ping_group_range excludes us: raw it is, from now on
    else if (fd < 0)
      err = sys_error("ping socket");
  }
  if (want == Mode::raw) {
    fd = ::socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, protocol);
    if (fd < 0) err = sys_error("raw ICMP socket");
  }
  if (fd >= 0) {
    used_[p->v6] = want;
    p->raw = want == Mode::raw;
    boost::system::error_code ec;
    p->socket.assign(proto(family, protocol), fd, ec);
    if (ec) {
      ::close(fd);
      err = "assign: " + ec.message();
    }
  }
  if (err.empty() && t.fwmark != 0 &&
      ::setsockopt(p->socket.native_handle(), SOL_SOCKET, SO_MARK, &t.fwmark, sizeof t.fwmark) != 0)
    err = sys_error("SO_MARK");
  if (err.empty() && !t.bind_if.empty() &&
      ::setsockopt(p->socket.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, t.bind_if.data(),
                   static_cast<socklen_t>(t.bind_if.size())) != 0)
    err = sys_error("SO_BINDTODEVICE");
  if (err.empty() && t.bindto) {
    boost::system::error_code ec;
    p->socket.bind(endpoint_of(*t.bindto), ec);
    if (ec) err = "bind: " + ec.message();
  }
  if (err.empty()) {
    boost::system::error_code ec;
    p->socket.connect(endpoint_of(t.address), ec);
    if (ec) err = "connect: " + ec.message();
  }
  if (err.empty()) {
    // type, code, checksum, id, seq, then a little payload.
    std::array<std::uint8_t, 24> req{};
    req[0] = p->v6 ? 128 : 8;
    req[4] = static_cast<std::uint8_t>(p->id >> 8);
    req[5] = static_cast<std::uint8_t>(p->id);
    req[6] = static_cast<std::uint8_t>(p->seq >> 8);
    req[7] = static_cast<std::uint8_t>(p->seq);
    std::memcpy(req.data() + 8, "vigil PING_CHECK", 16);
    if (!p->v6) {  // ICMPv6's checksum covers a pseudo-header: the kernel computes it
      const std::uint16_t sum = inet_checksum(req.data(), req.size());
      req[2] = static_cast<std::uint8_t>(sum >> 8);
      req[3] = static_cast<std::uint8_t>(sum);
    }
    boost::system::error_code ec;
    p->socket.send(asio::buffer(req), 0, ec);
    if (ec) err = "send: " + ec.message();
  }
  if (!err.empty()) {
    asio::post(io_, [this, token, weak = std::weak_ptr<Probe>(p), err = p->name + ": " + err] {
      if (weak.lock()) finish(token, {false, std::nullopt, err});
    });
    return token;
  }
  p->timer.expires_at(to_steady(deadline));
  p->timer.async_wait([this, token, weak = std::weak_ptr<Probe>(p)](const boost::system::error_code& e) {
    auto pr = weak.lock();
    if (e || !pr) return;
    finish(token, {false, std::nullopt, pr->name + ": no echo reply (timeout)"});
  });
  receive(token, p);
  return token;
}

void PingProber::receive(std::uint64_t token, const std::shared_ptr<Probe>& p) {
  p->socket.async_receive(asio::buffer(p->buf), [this, token, weak = std::weak_ptr<Probe>(p)](
                                                    const boost::system::error_code& ec, std::size_t n) {
    auto pr = weak.lock();
    if (!pr || !probes_.count(token) || ec == asio::error::operation_aborted) return;
    if (ec) return finish(token, {false, std::nullopt, pr->name + ": " + ec.message()});
    const std::uint8_t* icmp = pr->buf.data();
    if (pr->raw && !pr->v6) {  // a raw IPv4 socket hands over the IP header too
      const std::size_t ihl = n ? static_cast<std::size_t>(pr->buf[0] & 0x0f) * 4 : 0;
      if (ihl < 20 || n < ihl) return receive(token, pr);
      icmp += ihl;
      n -= ihl;
    }
    if (n < 8) return receive(token, pr);
    const std::uint8_t type = icmp[0];
    const std::uint16_t id = static_cast<std::uint16_t>(icmp[4] << 8 | icmp[5]);
    const std::uint16_t seq = static_cast<std::uint16_t>(icmp[6] << 8 | icmp[7]);
    const std::uint8_t reply_type = pr->v6 ? 129 : 0;
    // Ping sockets rewrite the id (it is the socket's "port"): only raw ones compare it.
    if (type != reply_type || seq != pr->seq || (pr->raw && id != pr->id)) return receive(token, pr);
    finish(token, {true, std::nullopt, {}});
  });
}

void PingProber::finish(std::uint64_t token, ProbeOutcome outcome) {
  auto it = probes_.find(token);
  if (it == probes_.end()) return;
  auto p = std::move(it->second);
  probes_.erase(it);
  p->timer.cancel();
  boost::system::error_code ec;
  p->socket.close(ec);
  auto done = std::move(p->done);
  if (done) done(std::move(outcome));
}

void PingProber::cancel(std::uint64_t token) {
  auto it = probes_.find(token);
  if (it == probes_.end()) return;
  auto p = std::move(it->second);
  probes_.erase(it);
  p->done = nullptr;
  boost::system::error_code ec;
  p->socket.close(ec);
  p->timer.cancel();
}

}  // namespace vigil::checkers::io
