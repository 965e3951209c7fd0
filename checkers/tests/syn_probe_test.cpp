// TCP_CHECK's half-open probe (TcpProber in TcpCheckMode::syn) against listeners on
// 127.0.0.1 and ::1: up, refused, a full accept queue (the SYN dropped) at the deadline and
// after a retransmission, concurrent probes of one target, source address / interface, the
// connect() fallbacks; and in a network namespace of its own (forked child), destinations
// that never answer and an ICMP error. Needs CAP_NET_RAW (skipped without it).
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>
#include <stdexcept>
#include <vector>

#include "checkers/core/tcp_syn.hpp"
#include "checkers/io/sockets.hpp"
#include "checkers/io/syn_socket.hpp"
#include "checkers/io/tcp_probe.hpp"
#include "checkers/tests/io_util.hpp"

namespace vigil::checkers::io {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using testing::now;
using testing::run_until;

const IpAddress kLoopback = IpAddress::v4(0x7f000001);
const IpAddress kLoopback6 = *IpAddress::parse("::1");

struct Outcome {
  std::optional<ProbeOutcome> outcome;
  TimePoint at{};
};

ProbeDone record(Outcome& r) {
  return [&r](ProbeOutcome o) {
    r.outcome = std::move(o);
    r.at = now();
  };
}

#define NEED_HALF_OPEN(prober, family)                                                  \
  do {                                                                                  \
    const std::string why = (prober).set_mode(TcpCheckMode::syn);                       \
    if (!(prober).half_open(family)) GTEST_SKIP() << "no half-open probes here: " << why; \
  } while (0)

// A listener whose accept queue the test can inspect: a connect() probe leaves a connection
// there, a half-open one never does.
struct Listener {
  Listener(asio::io_context& io, const asio::ip::address& a) : acceptor(io, tcp::endpoint(a, 0)) {
    acceptor.non_blocking(true);
  }
  std::uint16_t port() const { return acceptor.local_endpoint().port(); }
  int accepts() {
    int n = 0;
    for (;;) {
      boost::system::error_code ec;
      tcp::socket s(acceptor.get_executor());
      acceptor.accept(s, ec);
      if (ec) return n;
      ++n;
    }
  }
  tcp::acceptor acceptor;
};

std::uint16_t closed_port(const asio::ip::address& a) {
  asio::io_context io;
  tcp::acceptor l(io, tcp::endpoint(a, 0));
  return l.local_endpoint().port();
}

// The raw socket's filter: of a probe's packets on loopback (our SYN, the listener's SYN-ACK,
// our kernel's RST back to the listener) only the SYN-ACK reaches the socket. The other two
// go to the listener's port, not one of ours.
TEST(SynSocket, OnlyTheRepliesToOurPortsPassTheFilter) {
  auto sock = SynSocket::open(Family::v4, 1);
  if (!sock) GTEST_SKIP() << "no raw socket: " << sock.error();
  const std::uint16_t port = sock->ports().front();
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  const int fd = sock->release_fd();
  const auto syn = syn::encode_syn({port, listener.port(), 12345, 1460, 65535}, syn::PseudoHeader{kLoopback, kLoopback});
  ASSERT_EQ(send_segment(fd, Family::v4, to_sockaddr(kLoopback), syn, kLoopback, 0), 0);
  std::vector<syn::Segment> got;
  for (int tries = 0; tries < 100 && got.size() < 3; ++tries) {
    std::byte buf[256];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      ::usleep(1000);
      continue;
    }
    if (auto seg = syn::parse_segment(std::span(buf).first(static_cast<std::size_t>(n)), syn::Framing::ipv4))
      got.push_back(*seg);
  }
  ::close(fd);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].kind, syn::Kind::syn_ack);
  EXPECT_EQ(got[0].dst_port, port);
}

TEST(SynProbe, ListenerIsUpAndNeverSeesAConnection) {
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  Outcome r;
  const TimePoint t = now();
  prober.start({kLoopback, listener.port()}, t + 2s, record(r));
  EXPECT_FALSE(r.outcome) << "done ran inside start()";
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  EXPECT_TRUE(r.outcome->ok) << r.outcome->reason;
  EXPECT_LT(r.at - t, 500ms);
  EXPECT_EQ(prober.in_flight(), 0u);
  io.run_for(50ms);
  EXPECT_EQ(listener.accepts(), 0);  // connect() would have left one
}

TEST(SynProbe, ClosedPortIsRefusedAtOnce) {
  asio::io_context io;
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  Outcome r;
  const TimePoint t = now();
  prober.start({kLoopback, closed_port(asio::ip::address_v4::loopback())}, t + 2s, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  EXPECT_FALSE(r.outcome->ok);
  EXPECT_EQ(r.outcome->reason, "connect: Connection refused");
  EXPECT_LT(r.at - t, 500ms);
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(SynProbe, Ipv6LoopbackUpAndRefused) {
  asio::io_context io;
  std::optional<Listener> listener;
  try {
    listener.emplace(io, asio::ip::address_v6::loopback());
  } catch (const std::exception& e) {
    GTEST_SKIP() << "no IPv6 loopback: " << e.what();
  }
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v6);
  Outcome up, refused;
  const TimePoint t = now();
  prober.start({kLoopback6, listener->port()}, t + 2s, record(up));
  prober.start({kLoopback6, closed_port(asio::ip::address_v6::loopback())}, t + 2s, record(refused));
  ASSERT_TRUE(run_until(io, [&] { return up.outcome && refused.outcome; }));
  EXPECT_TRUE(up.outcome->ok) << up.outcome->reason;
  EXPECT_FALSE(refused.outcome->ok);
  EXPECT_EQ(refused.outcome->reason, "connect: Connection refused");
  EXPECT_LT(std::max(up.at, refused.at) - t, 500ms);
  io.run_for(50ms);
  EXPECT_EQ(listener->accepts(), 0);
}

// A listener on 127.0.0.1 whose accept queue is full (listen(fd, 0), filled): later SYNs
// are dropped, as by a server that does not answer. drain() makes room again.
struct FullListener {
  explicit FullListener(asio::io_context& io) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || ::listen(fd, 0) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
      throw std::runtime_error("listener");
    port = ntohs(sa.sin_port);
    for (int i = 0; i < 3; ++i) {
      auto s = std::make_unique<tcp::socket>(io);
      s->async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), [](const boost::system::error_code&) {});
      fillers.push_back(std::move(s));
    }
    io.run_for(100ms);
  }
  ~FullListener() { ::close(fd); }
  void drain() const {
    for (int c; (c = ::accept(fd, nullptr, nullptr)) >= 0;) ::close(c);
  }
  int fd{-1};
  std::uint16_t port{};
  std::vector<std::unique_ptr<tcp::socket>> fillers;
};

TEST(SynProbe, ADroppedSynFailsAtTheDeadline) {
  asio::io_context io;
  FullListener listener(io);
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  Outcome r;
  const TimePoint t = now();
  prober.start({kLoopback, listener.port}, t + 300ms, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  EXPECT_FALSE(r.outcome->ok);
  EXPECT_EQ(r.outcome->reason, "timeout");
  EXPECT_GE(r.at - t, 290ms);
  EXPECT_LT(r.at - t, 800ms);
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(SynProbe, TheSynIsSentAgainAfterOneSecond) {
  // The first SYN is dropped (full queue); the queue is then drained, and the retransmitted
  // SYN (1 s after the first) is answered.
  asio::io_context io;
  FullListener listener(io);
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  Outcome r;
  const TimePoint t = now();
  prober.start({kLoopback, listener.port}, t + 5s, record(r));
  io.run_for(100ms);
  ASSERT_FALSE(r.outcome.has_value()) << "answered at once: the queue was not full";
  EXPECT_EQ(prober.in_flight(), 1u);
  ASSERT_TRUE(run_until(io, [&] {
    listener.drain();
    return r.outcome.has_value();
  }));
  EXPECT_TRUE(r.outcome->ok) << r.outcome->reason;
  EXPECT_GE(r.at - t, 950ms);
  EXPECT_LT(r.at - t, 2s);  // the first retransmission, not the second (3 s)
}

TEST(SynProbe, ConcurrentProbesOfOneTargetAllComplete) {
  // Two probes of one target in flight use two source ports. More than kPorts (8) at once:
  // those beyond are connect()s (a listener sees them), and still pass.
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  std::vector<Outcome> r(12);
  for (auto& o : r) prober.start({kLoopback, listener.port()}, now() + 2s, record(o));
  ASSERT_TRUE(run_until(io, [&] {
    return std::all_of(r.begin(), r.end(), [](const Outcome& o) { return o.outcome.has_value(); });
  }));
  for (const auto& o : r) EXPECT_TRUE(o.outcome->ok) << o.outcome->reason;
  io.run_for(50ms);
  EXPECT_EQ(listener.accepts(), 4);  // 12 - 8 half-open
  // Two at once, after those: both half-open, both answered.
  Outcome a, b;
  prober.start({kLoopback, listener.port()}, now() + 2s, record(a));
  prober.start({kLoopback, listener.port()}, now() + 2s, record(b));
  EXPECT_EQ(prober.in_flight(), 2u);
  ASSERT_TRUE(run_until(io, [&] { return a.outcome && b.outcome; }));
  EXPECT_TRUE(a.outcome->ok && b.outcome->ok);
  io.run_for(50ms);
  EXPECT_EQ(listener.accepts(), 0);
}

// The SYNs to `port` seen on loopback by a raw socket of the test's own: their source
// address and port.
struct SynSniffer {
  explicit SynSniffer(std::uint16_t p) : port(p) {
    fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK, IPPROTO_TCP);
    if (fd < 0) throw std::runtime_error("raw socket");
  }
  ~SynSniffer() { ::close(fd); }
  std::optional<std::pair<IpAddress, std::uint16_t>> next() {
    std::byte buf[256];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
      auto s = syn::parse_segment(std::span(buf, static_cast<std::size_t>(n)), syn::Framing::ipv4);
      if (s && s->dst_port == port && s->flags == syn::kSyn) return std::pair{*s->src, s->src_port};
    }
    return std::nullopt;
  }
  int fd{-1};
  std::uint16_t port;
};

TEST(SynProbe, BindtoIsTheSourceAndBindIfTheInterface) {
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::any());
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  SynSniffer sniffer(listener.port());
  Outcome r;
  TcpTarget t{kLoopback, listener.port()};
  t.bindto = IpAddress::v4(0x7f000002);  // 127.0.0.2: local, not what the route picks
  t.bind_if = "lo";
  prober.start(t, now() + 2s, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  EXPECT_TRUE(r.outcome->ok) << r.outcome->reason;
  const auto seen = sniffer.next();
  ASSERT_TRUE(seen);
  EXPECT_EQ(seen->first, *t.bindto);
  EXPECT_EQ(listener.accepts(), 0);
  // Without bindto the route's source (127.0.0.1), and the checksum over it holds.
  Outcome plain;
  prober.start({IpAddress::v4(0x7f000003), listener.port()}, now() + 2s, record(plain));
  ASSERT_TRUE(run_until(io, [&] { return plain.outcome.has_value(); }));
  EXPECT_TRUE(plain.outcome->ok) << plain.outcome->reason;
  const auto seen2 = sniffer.next();
  ASSERT_TRUE(seen2);
  EXPECT_EQ(seen2->first, kLoopback);
  // An address that is not ours cannot be the source; an interface that does not exist.
  Outcome foreign, nodev;
  t.bind_if.clear();
  t.bindto = *IpAddress::parse("192.0.2.77");
  prober.start(t, now() + 2s, record(foreign));
  prober.start({.address = kLoopback, .port = listener.port(), .bind_if = "nosuchdev0"}, now() + 2s, record(nodev));
  ASSERT_TRUE(run_until(io, [&] { return foreign.outcome && nodev.outcome; }));
  EXPECT_FALSE(foreign.outcome->ok);
  EXPECT_EQ(foreign.outcome->reason, "bind: Cannot assign requested address");
  EXPECT_FALSE(nodev.outcome->ok);
  EXPECT_EQ(nodev.outcome->reason, "SO_BINDTODEVICE: No such device");
}

// The IPv4 raw socket is bound to the one source its probes have had; a probe from a second
// source unbinds it, and the replies to both (and to probes in flight) still arrive.
TEST(SynProbe, ASecondSourceAfterProbesFromTheFirstStillHearsItsReplies) {
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::any());
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  std::vector<Outcome> first(3), second(3);  // 8 source ports: all half-open
  for (auto& o : first) prober.start({kLoopback, listener.port()}, now() + 2s, record(o));
  TcpTarget other{IpAddress::v4(0x7f000004), listener.port()};
  other.bindto = IpAddress::v4(0x7f000002);
  Outcome moved;
  prober.start(other, now() + 2s, record(moved));
  for (auto& o : second) prober.start({kLoopback, listener.port()}, now() + 2s, record(o));
  const auto all_done = [&] {
    for (const auto* v : {&first, &second})
      for (const auto& o : *v)
        if (!o.outcome) return false;
    return moved.outcome.has_value();
  };
  ASSERT_TRUE(run_until(io, all_done));
  for (const auto* v : {&first, &second})
    for (const auto& o : *v) EXPECT_TRUE(o.outcome->ok) << o.outcome->reason;
  EXPECT_TRUE(moved.outcome->ok) << moved.outcome->reason;
  EXPECT_EQ(listener.accepts(), 0);
}

TEST(SynProbe, BindPortAndFwmarkKeepConnect) {
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  Outcome r;
  TcpTarget t{kLoopback, listener.port()};
  t.bind_port = closed_port(asio::ip::address_v4::loopback());
  prober.start(t, now() + 2s, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  EXPECT_TRUE(r.outcome->ok) << r.outcome->reason;
  io.run_for(50ms);
  EXPECT_EQ(listener.accepts(), 1);
  Outcome m;
  t = {kLoopback, listener.port()};
  t.fwmark = 7;
  prober.start(t, now() + 2s, record(m));
  ASSERT_TRUE(run_until(io, [&] { return m.outcome.has_value(); }));
  if (!m.outcome->ok) GTEST_SKIP() << "no CAP_NET_ADMIN for SO_MARK: " << m.outcome->reason;
  io.run_for(50ms);
  EXPECT_EQ(listener.accepts(), 1);
}

TEST(SynProbe, ConnectModeConnects) {
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  EXPECT_EQ(prober.set_mode(TcpCheckMode::connect), "");
  EXPECT_FALSE(prober.half_open(Family::v4));
  Outcome r;
  prober.start({kLoopback, listener.port()}, now() + 2s, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  EXPECT_TRUE(r.outcome->ok) << r.outcome->reason;
  io.run_for(50ms);
  EXPECT_EQ(listener.accepts(), 1);
}

TEST(SynProbe, CancelledProbeNeverCallsBack) {
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  Outcome r, other;
  const auto token = prober.start({kLoopback, listener.port()}, now() + 300ms, record(r));
  prober.start({kLoopback, listener.port()}, now() + 300ms, record(other));
  prober.cancel(token);
  EXPECT_EQ(prober.in_flight(), 1u);
  io.run_for(500ms);
  EXPECT_FALSE(r.outcome.has_value());
  ASSERT_TRUE(other.outcome.has_value());
  EXPECT_TRUE(other.outcome->ok);
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(SynProbe, DestroyedWithProbesInFlightCallsNothing) {
  // Replies and timers still queued on the loop find the prober gone.
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  FullListener full(io);
  int calls = 0;
  {
    TcpProber prober(io);
    NEED_HALF_OPEN(prober, Family::v4);
    for (int i = 0; i < 3; ++i) {
      prober.start({kLoopback, listener.port()}, now() + 200ms, [&](ProbeOutcome) { ++calls; });
      prober.start({kLoopback, full.port}, now() + 200ms, [&](ProbeOutcome) { ++calls; });
    }
    EXPECT_EQ(prober.in_flight(), 6u);
  }
  io.run_for(400ms);
  EXPECT_EQ(calls, 0);
}

TEST(SynProbe, TheUrgentLaneIsPolledBeforeEachResult) {
  struct Counting final : Urgent {
    void poll() override { ++polls; }
    int polls = 0;
  } urgent;
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  prober.set_urgent(&urgent);
  std::vector<int> order;
  for (int i = 0; i < 3; ++i)
    prober.start({kLoopback, listener.port()}, now() + 2s, [&](ProbeOutcome) { order.push_back(urgent.polls); });
  ASSERT_TRUE(run_until(io, [&] { return order.size() == 3; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(SynProbe, ADoneMayStartTheNextProbe) {
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  TcpProber prober(io);
  NEED_HALF_OPEN(prober, Family::v4);
  int passed = 0;
  std::function<void(ProbeOutcome)> again = [&](ProbeOutcome o) {
    if (o.ok && ++passed < 50) prober.start({kLoopback, listener.port()}, now() + 2s, again);
  };
  prober.start({kLoopback, listener.port()}, now() + 2s, again);
  ASSERT_TRUE(run_until(io, [&] { return passed == 50; }));
  EXPECT_EQ(prober.in_flight(), 0u);
  EXPECT_EQ(listener.accepts(), 0);
}

// Without CAP_NET_RAW (dropped in a forked child): set_mode(syn) says why, and every probe
// is a connect(). Exit status: 0 as expected, else the step that failed.
int without_cap_net_raw() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct caps[2]{};
  if (::syscall(SYS_capget, &header, caps) != 0) return 2;
  caps[CAP_NET_RAW / 32].effective &= ~(1u << (CAP_NET_RAW % 32));
  caps[CAP_NET_RAW / 32].permitted &= ~(1u << (CAP_NET_RAW % 32));
  if (::syscall(SYS_capset, &header, caps) != 0) return 3;
  asio::io_context io;
  Listener listener(io, asio::ip::address_v4::loopback());
  TcpProber prober(io);
  const std::string why = prober.set_mode(TcpCheckMode::syn);
  std::fprintf(stderr, "set_mode(syn): %s\n", why.c_str());
  if (why.find("raw socket: Operation not permitted") == std::string::npos) return 4;
  if (prober.half_open(Family::v4) || prober.half_open(Family::v6)) return 5;
  Outcome r;
  prober.start({kLoopback, listener.port()}, now() + 2s, record(r));
  if (!run_until(io, [&] { return r.outcome.has_value(); }) || !r.outcome->ok) return 6;
  io.run_for(50ms);
  return listener.accepts() == 1 ? 0 : 7;
}

TEST(SynProbe, WithoutCapNetRawEveryProbeConnects) {
  std::fflush(nullptr);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(without_cap_net_raw());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "step that failed (see without_cap_net_raw)";
}

// In a network namespace of the child's own: a veth pair, v0 with 198.51.100.2/24 and
// 2001:db8::2/64, its peer without addresses, and static neighbours 198.51.100.1 and
// 2001:db8::1 on v0 whose MAC nobody has: SYNs to them leave and are never answered; and an nftables rule rejecting SYNs to 198.51.100.3 with ICMP host-unreachable.
// Exit status: 0 as expected, 77 cannot set up, else the step that failed.
int namespace_drill() {
  if (::unshare(CLONE_NEWNET) != 0) return 77;
  const char* setup =
      "ip link set lo up && ip link add v0 type veth peer name v1 && ip link set v1 up && ip link set v0 up && "
      "ip addr add 198.51.100.2/24 dev v0 && ip -6 addr add 2001:db8::2/64 dev v0 nodad && "
      "ip neigh add 198.51.100.1 lladdr 02:00:00:00:00:01 dev v0 && "
      "ip -6 neigh add 2001:db8::1 lladdr 02:00:00:00:00:01 dev v0";
  if (std::system(setup) != 0) return 77;
  const bool have_nft =
      std::system("nft 'add table inet t; add chain inet t out { type filter hook output priority 0; }; "
                  "add rule inet t out ip daddr 198.51.100.3 tcp flags syn reject with icmp type host-unreachable'"
                  " 2>/dev/null") == 0;
  asio::io_context io;
  TcpProber prober(io);
  prober.set_mode(TcpCheckMode::syn);
  if (!prober.half_open(Family::v4) || !prober.half_open(Family::v6)) return 77;
  Outcome v4, v6, icmp;
  const TimePoint t = now();
  prober.start({*IpAddress::parse("198.51.100.1"), 80}, t + 1500ms, record(v4));
  prober.start({*IpAddress::parse("2001:db8::1"), 80}, t + 1500ms, record(v6));
  if (have_nft) prober.start({*IpAddress::parse("198.51.100.3"), 80}, t + 1500ms, record(icmp));
  if (!run_until(io, [&] { return v4.outcome && v6.outcome && (!have_nft || icmp.outcome); })) return 2;
  auto timed_out = [&](const Outcome& o) {
    std::fprintf(stderr, "%s after %lld ms\n", o.outcome->reason.c_str(),
                 static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(o.at - t).count()));
    return !o.outcome->ok && o.outcome->reason == "timeout" && o.at - t >= 1490ms && o.at - t < 2s;
  };
  if (!timed_out(v4)) return 3;
  if (!timed_out(v6)) return 4;
  if (have_nft) {
    std::fprintf(stderr, "ICMP: %s\n", icmp.outcome->reason.c_str());
    if (icmp.outcome->ok || icmp.outcome->reason != "connect: No route to host" || icmp.at - t > 500ms) return 5;
  }
  return have_nft ? 0 : 6;
}

TEST(SynProbe, SilentDestinationsTimeOutAndIcmpErrorsFailAtOnce) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (a network namespace)";
  std::fflush(nullptr);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(namespace_drill());
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == 77) GTEST_SKIP() << "cannot set up the namespace (ip, veth)";
  if (WEXITSTATUS(status) == 6) GTEST_SKIP() << "no nft: the ICMP case was not run (the rest passed)";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "step that failed (see namespace_drill)";
}

}  // namespace
}  // namespace vigil::checkers::io
