// TCP_CHECK against listeners on 127.0.0.1: up, refused, and a connect that never
// completes (a listener whose accept queue is full drops the SYN) hitting its deadline.
#include "checkers/io/tcp_probe.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>
#include <stdexcept>
#include <vector>

#include "checkers/tests/io_util.hpp"

namespace vigil::checkers::io {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using testing::now;
using testing::run_until;

const IpAddress kLoopback = IpAddress::v4(0x7f000001);

struct Result {
  std::optional<ProbeOutcome> outcome;
  TimePoint at{};
};

ProbeDone record(Result& r) {
  return [&r](ProbeOutcome o) {
    r.outcome = std::move(o);
    r.at = now();
  };
}

// A port on 127.0.0.1 nothing listens on (bound then closed: the kernel refuses it).
std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const auto port = a.local_endpoint().port();
  a.close();
  return port;
}

TEST(TcpProbe, ListenerIsUp) {
  asio::io_context io;
  tcp::acceptor listener(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  TcpProber prober(io);
  Result r;
  prober.start({kLoopback, listener.local_endpoint().port()}, now() + 2s, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  EXPECT_TRUE(r.outcome->ok) << r.outcome->reason;
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(TcpProbe, ClosedPortIsDown) {
  asio::io_context io;
  TcpProber prober(io);
  Result r;
  const TimePoint t = now();
  prober.start({kLoopback, closed_port()}, t + 2s, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  EXPECT_FALSE(r.outcome->ok);
  EXPECT_NE(r.outcome->reason.find("refused"), std::string::npos) << r.outcome->reason;
  EXPECT_LT(r.at - t, 1s);  // refused at once, not at the deadline
}

// A listener on 127.0.0.1 whose accept queue is full: listen(fd, 0), filled by a
// connection, so later SYNs are dropped and a connect keeps retransmitting. drain()
// accepts (and closes) what is queued, making room for one more.
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

TEST(TcpProbe, BlackholedConnectFailsAtTheDeadline) {
  asio::io_context io;
  FullListener listener(io);
  TcpProber prober(io);
  Result r;
  const TimePoint t = now();
  prober.start({kLoopback, listener.port}, t + 300ms, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  EXPECT_FALSE(r.outcome->ok);
  EXPECT_EQ(r.outcome->reason, "timeout");
  EXPECT_GE(r.at - t, 290ms);
  EXPECT_LT(r.at - t, 800ms);
}

TEST(TcpProbe, AConnectStillInProgressPassesWhenItCompletes) {
  // The SYN is dropped, so the connect is still in progress when connect() returns and the
  // probe waits on the loop; then the queue is drained, and the SYN's retransmission (1 s
  // later) completes it.
  asio::io_context io;
  FullListener listener(io);
  TcpProber prober(io);
  Result r;
  const TimePoint t = now();
  prober.start({kLoopback, listener.port}, t + 5s, record(r));
  io.run_for(100ms);
  ASSERT_FALSE(r.outcome.has_value()) << "completed at once: the queue was not full";
  EXPECT_EQ(prober.in_flight(), 1u);
  // Room again, kept so: the fillers' own retransmissions come in too.
  ASSERT_TRUE(run_until(io, [&] {
    listener.drain();
    return r.outcome.has_value();
  }));
  EXPECT_TRUE(r.outcome->ok) << r.outcome->reason;
  EXPECT_GE(r.at - t, 500ms);  // the retransmission, not the first SYN
  EXPECT_LT(r.at - t, 4s);
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(TcpProbe, BindsToTheGivenSourceAddressAndPort) {
  asio::io_context io;
  tcp::acceptor listener(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const std::uint16_t src_port = closed_port();
  // The peer's address as accept() returns it: the probe has reset the connection by the
  // time it is accepted, so remote_endpoint() would fail.
  std::optional<tcp::endpoint> peer;
  tcp::endpoint from;
  tcp::socket accepted(io);
  listener.async_accept(accepted, from, [&](const boost::system::error_code& ec) {
    if (!ec) peer = from;
  });
  TcpProber prober(io);
  Result r;
  TcpTarget t{kLoopback, listener.local_endpoint().port()};
  t.bindto = kLoopback;
  t.bind_port = src_port;
  prober.start(t, now() + 2s, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value() && peer.has_value(); }));
  EXPECT_TRUE(r.outcome->ok) << r.outcome->reason;
  EXPECT_EQ(peer->port(), src_port);
}

TEST(TcpProbe, ClosesWithAResetLeavingNoTimeWait) {
  // The listener reads the probe's connection: a RST (SO_LINGER 0) shows as ECONNRESET,
  // where a FIN would read as end of file.
  asio::io_context io;
  tcp::acceptor listener(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  TcpProber prober(io);
  Result r;
  prober.start({kLoopback, listener.local_endpoint().port()}, now() + 2s, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  ASSERT_TRUE(r.outcome->ok) << r.outcome->reason;
  tcp::socket accepted(io);
  listener.accept(accepted);
  char byte;
  boost::system::error_code ec;
  accepted.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::connection_reset) << ec.message();
}

TEST(TcpProbe, TheUrgentLaneIsPolledBeforeEachResultDelivered) {
  struct Counting final : Urgent {
    void poll() override { ++polls; }
    int polls = 0;
  } urgent;
  asio::io_context io;
  tcp::acceptor listener(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  TcpProber prober(io);
  prober.set_urgent(&urgent);
  std::vector<int> order;  // polls seen by each result
  for (int i = 0; i < 3; ++i)
    prober.start({kLoopback, listener.local_endpoint().port()}, now() + 2s,
                 [&](ProbeOutcome) { order.push_back(urgent.polls); });
  ASSERT_TRUE(run_until(io, [&] { return order.size() == 3; }));
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
}

TEST(TcpProbe, FwmarkNeedsCapNetAdmin) {
  asio::io_context io;
  tcp::acceptor listener(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  TcpProber prober(io);
  Result r;
  TcpTarget t{kLoopback, listener.local_endpoint().port()};
  t.fwmark = 7;
  prober.start(t, now() + 2s, record(r));
  ASSERT_TRUE(run_until(io, [&] { return r.outcome.has_value(); }));
  // Without CAP_NET_ADMIN SO_MARK is refused, and the probe says why; with it, it passes.
  if (r.outcome->ok) SUCCEED() << "running with CAP_NET_ADMIN";
  else EXPECT_NE(r.outcome->reason.find("SO_MARK"), std::string::npos) << r.outcome->reason;
}

TEST(TcpProbe, CancelledProbeNeverCallsBack) {
  asio::io_context io;
  TcpProber prober(io);
  Result r;
  const auto token = prober.start({kLoopback, closed_port()}, now() + 2s, record(r));
  prober.cancel(token);
  io.run_for(100ms);
  EXPECT_FALSE(r.outcome.has_value());
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(TcpProbe, TargetFromTheConfiguredChecker) {
  conf::TcpCheck c;
  c.connect_ip.assign(kLoopback, {1, 0, 1});
  c.connect_port.assign(8080, {1, 0, 1});
  c.src_mut().bind_port.assign(4000, {1, 0, 1});
  c.src_mut().fwmark.assign(3, {1, 0, 1});
  const TcpTarget t = tcp_target(c);
  EXPECT_EQ(t.address, kLoopback);
  EXPECT_EQ(t.port, 8080);
  EXPECT_FALSE(t.bindto);
  EXPECT_EQ(t.bind_port, 4000);
  EXPECT_EQ(t.fwmark, 3u);
}

}  // namespace
}  // namespace vigil::checkers::io
