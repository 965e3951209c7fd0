#include "bfd/io/service.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstring>
#include <map>
#include <random>

#include "base/sockaddr.hpp"

namespace vigil::bfd::io {
namespace asio = boost::asio;
using udp = asio::ip::udp;

namespace {

// An Asio endpoint from base's sockaddr conversion (the one place addresses meet sockaddr).
udp::endpoint endpoint_of(const IpAddress& a, std::uint16_t port) {
  const SockAddr sa = to_sockaddr(a, 0, port);
  udp::endpoint ep;
  std::memcpy(ep.data(), sa.get(), sa.length);
  ep.resize(sa.length);
  return ep;
}

std::string ms_text(Micros d) {
  const auto us = d.count();
  std::string s = std::to_string(us / 1000);
  if (us % 1000) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03lld", static_cast<long long>(us % 1000));
    s += frac;
  }
  return s + " ms";
}

std::chrono::steady_clock::time_point steady(TimePoint t) {
  return std::chrono::steady_clock::time_point(
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(t.time_since_epoch()));
}

}  // namespace

struct Service::Impl {
  struct Peer {
    Peer(asio::io_context& io, SessionSpec s)
        : spec(std::move(s)), session(spec.timing), socket(io), tx(io), detect(io) {}
    SessionSpec spec;
    Session session;
    udp::socket socket;
    asio::steady_timer tx, detect;
    std::uint64_t tx_generation{0}, detect_generation{0};
  };

  Impl(asio::io_context& i, const Clock& c, LogFn l, OnState s)
      : io(i), clock(c), log(std::move(l)), on_state(std::move(s)), rx4(i), rx6(i) {}

  asio::io_context& io;
  const Clock& clock;
  LogFn log;
  OnState on_state;
  udp::socket rx4, rx6;
  std::vector<std::unique_ptr<Peer>> peers;
  std::map<std::uint32_t, Peer*> by_discriminator;
  RxCounters counters;
  bool stopped{false};

  void say(Level lv, const Peer& p, const std::string& m) {
    if (log) log(lv, "(" + p.spec.name + ") " + m);
  }

  Result<void, std::string> open_rx(udp::socket& s, Family f) {
    boost::system::error_code ec;
    const bool v4 = f == Family::v4;
    s.open(v4 ? udp::v4() : udp::v6(), ec);
    if (ec) return std::unexpected("BFD: cannot open a UDP socket: " + ec.message());
    const int one = 1;
    if (v4) ::setsockopt(s.native_handle(), IPPROTO_IP, IP_RECVTTL, &one, sizeof one);
    else {
      ::setsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
      ::setsockopt(s.native_handle(), IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
    }
    s.bind(udp::endpoint(v4 ? udp::v4() : udp::v6(), kSingleHopPort), ec);
    if (ec) return std::unexpected("BFD: cannot bind UDP port 3784 (" + std::string(v4 ? "IPv4" : "IPv6") + "): " + ec.message());
    s.non_blocking(true, ec);
    wait_rx(s);
    return {};
  }

  void wait_rx(udp::socket& s) {
    s.async_wait(udp::socket::wait_read, [this, &s](const boost::system::error_code& ec) {
      if (ec || stopped) return;
      drain(s);
      wait_rx(s);
    });
  }

  // At most 64 packets per wake-up: a flood cannot starve the loop.
  void drain(udp::socket& s) {
    for (int n = 0; n < 64; ++n) {
      std::array<std::byte, 128> buf{};
      sockaddr_storage from{};
      alignas(cmsghdr) std::array<char, 128> control{};
      iovec iov{buf.data(), buf.size()};
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      const ssize_t len = ::recvmsg(s.native_handle(), &msg, MSG_DONTWAIT);
      if (len < 0) return;  // EAGAIN (or an error the next wake-up reports again)
      int ttl = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT))
          std::memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
      }
      ++counters.received;
      if (auto src = from_sockaddr(from)) on_packet(std::span(buf.data(), static_cast<std::size_t>(len)), *src, ttl);
    }
  }

  Peer* find_by_address(const IpAddress& src) {
    for (auto& p : peers)
      if (p->spec.neighbor == src) return p.get();
    return nullptr;
  }

  void on_packet(std::span<const std::byte> bytes, const IpAddress& src, int ttl) {
    auto packet = decode(bytes);
    if (!packet) {
      ++counters.decode[static_cast<std::size_t>(packet.error())];
      return;
    }
    Peer* peer = nullptr;
    if (packet->your_discriminator != 0) {
      auto it = by_discriminator.find(packet->your_discriminator);
      if (it != by_discriminator.end() && it->second->spec.neighbor == src) peer = it->second;
    } else if (packet->state != State::down && packet->state != State::admin_down) {
      ++counters.zero_your_discriminator;  // §6.8.6: only Down/AdminDown may not know us yet
      return;
    } else {
      peer = find_by_address(src);
    }
    if (!peer) {
      ++counters.no_session;
      return;
    }
    // RFC 5881 §5 (GTSM): a single-hop peer's packets arrive with TTL 255.
    if (peer->spec.max_hops < 255 && ttl >= 0 && ttl < 255 - peer->spec.max_hops) {
      ++counters.bad_ttl;
      return;
    }
    run(*peer, PacketReceived{*packet});
  }

  void run(Peer& p, const Input& in) { carry_out(p, p.session.step(in, clock.now())); }

  void carry_out(Peer& p, const Actions& acts) {
    for (const auto& a : acts) std::visit([&](const auto& x) { on(p, x); }, a);
  }

  void on(Peer& p, const Send& s) {
    if (!p.socket.is_open()) return;
    const auto bytes = encode(s.packet);
    if (::send(p.socket.native_handle(), bytes.data(), bytes.size(), MSG_DONTWAIT) < 0) ++counters.send_errors;
  }
  void on(Peer& p, const ArmTx& a) {
    const auto gen = ++p.tx_generation;
    p.tx.expires_at(steady(a.at));
    p.tx.async_wait([this, &p, gen](const boost::system::error_code& ec) {
      if (ec || stopped || gen != p.tx_generation) return;
      run(p, TxTimerExpired{});
    });
  }
  void on(Peer& p, const CancelTx&) {
    ++p.tx_generation;
    p.tx.cancel();
  }
  void on(Peer& p, const ArmDetect& a) {
    const auto gen = ++p.detect_generation;
    p.detect.expires_at(steady(a.at));
    p.detect.async_wait([this, &p, gen](const boost::system::error_code& ec) {
      if (ec || stopped || gen != p.detect_generation) return;
      run(p, DetectTimerExpired{});
    });
  }
  void on(Peer& p, const CancelDetect&) {
    ++p.detect_generation;
    p.detect.cancel();
  }
  void on(Peer& p, const StateChanged& c) {
    std::string m = "Entering " + std::string(to_string(c.to)) + " state";
    if (c.diag != Diag::none) m += " (" + std::string(to_string(c.diag)) + ")";
    if (c.to == State::down && c.from == State::admin_down) m += ", peer " + p.spec.neighbor.to_string();
    say(c.to == State::up || c.from == State::up ? Level::notice : Level::info, p, m);
    if (on_state) on_state(p.spec.name, c.from, c.to, c.diag);
  }
  void on(Peer& p, const TimingChanged& t) {
    say(Level::debug, p, "transmit interval " + ms_text(t.tx_interval) + ", detection time " + ms_text(t.detection_time));
  }
  void on(Peer&, const Discarded& d) { ++counters.discarded[static_cast<std::size_t>(d.reason)]; }

  Result<void, std::string> open_tx(Peer& p) {
    const Family f = p.spec.neighbor.family();
    boost::system::error_code ec;
    p.socket.open(f == Family::v4 ? udp::v4() : udp::v6(), ec);
    if (ec) return std::unexpected("cannot open a UDP socket: " + ec.message());
    const int ttl = p.spec.ttl;
    if (f == Family::v4) ::setsockopt(p.socket.native_handle(), IPPROTO_IP, IP_TTL, &ttl, sizeof ttl);
    else ::setsockopt(p.socket.native_handle(), IPPROTO_IPV6, IPV6_UNICAST_HOPS, &ttl, sizeof ttl);
    // RFC 5881 §4: a source port in 49152..65535, one per session.
    const unsigned first = p.session.local_discriminator() % 16384;
    bool bound = false;
    for (unsigned i = 0; i < 256 && !bound; ++i) {
      const auto port = static_cast<std::uint16_t>(kSourcePortMin + (first + i * 61) % 16384);
      p.socket.bind(p.spec.source ? endpoint_of(*p.spec.source, port)
                                  : udp::endpoint(f == Family::v4 ? udp::v4() : udp::v6(), port),
                    ec);
      bound = !ec;
      if (ec && ec != asio::error::address_in_use) break;
    }
    if (!bound) return std::unexpected("cannot bind a source port" + (p.spec.source ? " on " + p.spec.source->to_string() : std::string()) + ": " + ec.message());
    p.socket.connect(endpoint_of(p.spec.neighbor, kSingleHopPort), ec);
    if (ec) return std::unexpected("cannot reach " + p.spec.neighbor.to_string() + ": " + ec.message());
    p.socket.non_blocking(true, ec);
    return {};
  }
};

Service::Service(asio::io_context& io, const Clock& clock, LogFn log, OnState on_state)
    : impl_(std::make_unique<Impl>(io, clock, std::move(log), std::move(on_state))) {}

Service::~Service() {
  impl_->stopped = true;
}

Result<void, std::string> Service::start(std::vector<SessionSpec> sessions) {
  Impl& m = *impl_;
  std::random_device rd;
  std::mt19937_64 rng((static_cast<std::uint64_t>(rd()) << 32) ^ rd());
  bool v4 = false, v6 = false;
  for (auto& spec : sessions) {
    std::uint32_t disc = 0;
    while (disc == 0 || m.by_discriminator.contains(disc)) disc = static_cast<std::uint32_t>(rng());
    spec.timing.local_discriminator = disc;
    spec.timing.seed = rng() | 1;
    (spec.neighbor.family() == Family::v4 ? v4 : v6) = true;
    auto peer = std::make_unique<Impl::Peer>(m.io, std::move(spec));
    m.by_discriminator[disc] = peer.get();
    m.peers.push_back(std::move(peer));
  }
  if (v4)
    if (auto r = m.open_rx(m.rx4, Family::v4); !r) return r;
  if (v6)
    if (auto r = m.open_rx(m.rx6, Family::v6); !r) return r;
  for (auto& p : m.peers) {
    if (auto r = m.open_tx(*p); !r) {
      m.say(Level::error, *p, r.error() + "; the session stays down");
      continue;
    }
    m.say(Level::info, *p, "BFD session to " + p->spec.neighbor.to_string() + " (discriminator " +
                               std::to_string(p->session.local_discriminator()) + ")");
    m.run(*p, Start{});
  }
  return {};
}

void Service::stop() {
  Impl& m = *impl_;
  for (auto& p : m.peers) m.run(*p, Stop{});
  m.stopped = true;
  boost::system::error_code ec;
  for (auto& p : m.peers) {
    p->tx.cancel();
    p->detect.cancel();
    p->socket.close(ec);
  }
  m.rx4.close(ec);
  m.rx6.close(ec);
}

std::optional<State> Service::state(const std::string& name) const {
  for (const auto& p : impl_->peers)
    if (p->spec.name == name) return p->session.state();
  return std::nullopt;
}

const RxCounters& Service::counters() const { return impl_->counters; }

void Service::dump() {
  Impl& m = *impl_;
  for (const auto& p : m.peers) {
    const Session& s = p->session;
    m.say(Level::notice, *p,
          "state " + std::string(to_string(s.state())) + ", remote " + std::string(to_string(s.remote_state())) +
              ", local diag " + std::string(to_string(s.local_diag())) + ", discriminators " +
              std::to_string(s.local_discriminator()) + "/" + std::to_string(s.remote_discriminator()) +
              ", transmit " + ms_text(s.tx_interval()) + ", detection " + ms_text(s.detection_time()));
  }
  const auto& c = m.counters;
  std::uint64_t bad = 0;
  for (auto n : c.decode) bad += n;
  if (m.log)
    m.log(Level::notice, "BFD: received " + std::to_string(c.received) + ", malformed " + std::to_string(bad) +
                             ", no session " + std::to_string(c.no_session) + ", bad TTL " + std::to_string(c.bad_ttl) +
                             ", send errors " + std::to_string(c.send_errors));
}

}  // namespace vigil::bfd::io
