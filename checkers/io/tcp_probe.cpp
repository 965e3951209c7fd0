#include "checkers/io/tcp_probe.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>

#include "base/sockaddr.hpp"
#include "checkers/io/asio_time.hpp"
#include "checkers/io/sockets.hpp"
#include "checkers/io/syn_probe.hpp"

namespace vigil::checkers::io {
namespace asio = boost::asio;
using asio::ip::tcp;

asio::ip::address to_asio(const IpAddress& a) {
  if (a.is_v4()) return asio::ip::address_v4(a.v4_host_order());
  asio::ip::address_v6::bytes_type b;
  std::copy(a.bytes().begin(), a.bytes().end(), b.begin());
  return asio::ip::address_v6(b);
}

TcpTarget tcp_target(const conf::CheckCommon& c) {
  TcpTarget t;
  t.address = *c.connect_ip;
  t.port = static_cast<std::uint16_t>(*c.connect_port);
  if (c.src().bindto.is_set()) t.bindto = *c.src().bindto;
  if (c.src().bind_port.is_set()) t.bind_port = static_cast<std::uint16_t>(*c.src().bind_port);
  if (c.src().fwmark.is_set()) t.fwmark = static_cast<std::uint32_t>(*c.src().fwmark);
  if (c.src().bind_if.is_set()) t.bind_if = *c.src().bind_if;
  return t;
}

namespace {

// Closes a connected probe socket with a RST (SO_LINGER 0): no FIN exchange, and no
// TIME_WAIT socket left on the director for every check.
void close_reset(int fd) {
  const linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ::close(fd);
}

// After a connect() that said EINPROGRESS: done already? (A listener on this host, or one
// a LAN round trip away that answered while the call returned, has.) connect() again says
// so: 0 or EISCONN once connected, EALREADY while in progress, the error once it failed.
enum class Now { connected, pending, failed };
Now connect_again(int fd, const SockAddr& to, int& err) {
  if (::connect(fd, to.get(), to.length) == 0 || errno == EISCONN) return Now::connected;
  err = errno;
  return err == EALREADY || err == EINPROGRESS ? Now::pending : Now::failed;
}

// Dissolves a connection (connect() to AF_UNSPEC: a RST, as close_reset()) and leaves the
// socket unconnected, ready for the next connect(). True when it did.
bool disconnect(int fd) {
  sockaddr sa{};
  sa.sa_family = AF_UNSPEC;
  return ::connect(fd, &sa, sizeof sa) == 0;
}

// Whether a probe may use a pooled socket: one without a source, device or mark of its own.
bool plain(const TcpTarget& t) { return !t.bindto && t.bind_port == 0 && t.fwmark == 0 && t.bind_if.empty(); }

constexpr std::size_t kPoolMax = 64;

}  // namespace

struct TcpProber::Pending {
  explicit Pending(asio::io_context& io) : socket(io), timer(io) {}
  tcp::socket socket;
  asio::steady_timer timer;
  ProbeDone done;
};

TcpProber::TcpProber(asio::io_context& io) : io_(io) {}

std::size_t TcpProber::in_flight() const {
  return pending_.size() + ready_.size() + (syn_ ? syn_->in_flight() : 0);
}

std::string TcpProber::set_mode(TcpCheckMode mode) {
  if (mode == TcpCheckMode::connect) {
    syn_.reset();  // its probes in flight are dropped with it: only at start-up
    return {};
  }
  if (syn_) return {};
  auto opened = SynProber::open(io_);
  if (!opened) return opened.error();
  syn_ = std::move(*opened);
  syn_->set_urgent(urgent_);
  std::string why;
  for (const Family f : {Family::v4, Family::v6}) {
    if (syn_->unavailable(f).empty()) continue;
    why += std::string(why.empty() ? "" : "; ") + (f == Family::v4 ? "IPv4: " : "IPv6: ") + syn_->unavailable(f);
  }
  return why;
}

bool TcpProber::half_open(Family family) const { return syn_ && syn_->unavailable(family).empty(); }

void TcpProber::set_urgent(Urgent* urgent) {
  urgent_ = urgent;
  if (syn_) syn_->set_urgent(urgent);
}

TcpProber::~TcpProber() {
  for (auto& pool : pool_)
    for (int fd : pool) ::close(fd);
  for (auto& [token, p] : pending_) {
    p->done = nullptr;
    boost::system::error_code ec;
    p->socket.close(ec);
    p->timer.cancel();
  }
}

std::uint64_t TcpProber::start(const TcpTarget& target, TimePoint deadline, ProbeDone done) {
  const std::uint64_t token = next_token_++;
  if (syn_ && syn_->eligible(target)) {
    ProbeOutcome failure;
    switch (syn_->start(token, target, deadline, done, failure)) {
      case SynProber::Started::probing: return token;
      case SynProber::Started::failed: deliver(token, std::move(done), std::move(failure)); return token;
      case SynProber::Started::declined: break;  // every source port busy for it: connect()
    }
  }
  std::string err;
  const bool pooled = plain(target);
  auto& pool = pool_[target.address.is_v4() ? 0 : 1];
  int fd = -1;
  if (pooled && !pool.empty()) {
    fd = pool.back();
    pool.pop_back();
  } else {
    fd = open_socket(target, SOCK_STREAM, err);
  }
  if (fd < 0) {
    deliver(token, std::move(done), {false, std::nullopt, std::move(err)});
    return token;
  }
  const SockAddr to = to_sockaddr(target.address, 0, target.port);
  int e = 0;
  Now state = Now::connected;
  if (::connect(fd, to.get(), to.length) != 0) {
    e = errno;
    state = e == EINPROGRESS ? connect_again(fd, to, e) : Now::failed;
  }
  if (state == Now::connected) {
    if (pooled && pool.size() < kPoolMax && disconnect(fd))
      pool.push_back(fd);
    else
      close_reset(fd);
    deliver(token, std::move(done), {true, std::nullopt, {}});
    return token;
  }
  if (state == Now::failed) {
    ::close(fd);
    deliver(token, std::move(done), {false, std::nullopt, std::string("connect: ") + std::strerror(e)});
    return token;
  }
  // Still in progress: wait on the loop for writability, or the deadline.
  auto p = std::make_shared<Pending>(io_);
  boost::system::error_code ec;
  p->socket.assign(target.address.is_v4() ? tcp::v4() : tcp::v6(), fd, ec);
  if (ec) {
    ::close(fd);
    deliver(token, std::move(done), {false, std::nullopt, "socket: " + ec.message()});
    return token;
  }
  p->done = std::move(done);
  p->timer.expires_at(to_steady(deadline));
  p->timer.async_wait([this, token](const boost::system::error_code& ec) {
    if (ec) return;  // cancelled: the connect finished first, or cancel()
    finish(token, {false, std::nullopt, "timeout"});
  });
  p->socket.async_wait(tcp::socket::wait_write, [this, token](const boost::system::error_code& ec) {
    if (ec) return;  // closed: the deadline came first, or cancel()
    auto it = pending_.find(token);
    if (it == pending_.end()) return;
    int soerr = 0;
    socklen_t len = sizeof soerr;
    if (::getsockopt(it->second->socket.native_handle(), SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) soerr = errno;
    if (soerr != 0)
      finish(token, {false, std::nullopt, std::string("connect: ") + std::strerror(soerr)});
    else
      finish(token, {true, std::nullopt, {}});
  });
  pending_.emplace(token, std::move(p));
  return token;
}

void TcpProber::deliver(std::uint64_t token, ProbeDone done, ProbeOutcome outcome) {
  ready_.push_back({token, std::move(done), std::move(outcome)});
  if (ready_.size() > 1) return;  // a drain is posted already
  asio::post(io_, [this, alive = std::weak_ptr<bool>(alive_)] {
    if (!alive.lock()) return;
    // Taken out first: a `done` may start (and deliver) the next probe.
    auto batch = std::move(ready_);
    ready_.clear();
    for (auto& r : batch) {
      if (urgent_) urgent_->poll();
      if (r.done) r.done(std::move(r.outcome));
    }
  });
}

void TcpProber::finish(std::uint64_t token, ProbeOutcome outcome) {
  auto it = pending_.find(token);
  if (it == pending_.end()) return;  // cancelled
  auto p = std::move(it->second);
  pending_.erase(it);
  p->timer.cancel();
  boost::system::error_code ec;
  if (outcome.ok) p->socket.set_option(asio::socket_base::linger(true, 0), ec);  // as close_reset()
  p->socket.close(ec);
  auto done = std::move(p->done);
  if (done) done(std::move(outcome));
}

void TcpProber::cancel(std::uint64_t token) {
  if (syn_) syn_->cancel(token);
  for (auto& r : ready_)
    if (r.token == token) r.done = nullptr;
  auto it = pending_.find(token);
  if (it == pending_.end()) return;
  auto p = std::move(it->second);
  pending_.erase(it);
  p->done = nullptr;
  boost::system::error_code ec;
  p->socket.close(ec);
  p->timer.cancel();
}

}  // namespace vigil::checkers::io
