// SMTP_CHECK, DNS_CHECK, UDP_CHECK and PING_CHECK against in-test servers on loopback:
// passes, each kind of failure, deadlines, and configuration defaults.
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "checkers/core/policy.hpp"
#include "checkers/io/dns_probe.hpp"
#include "checkers/io/ping_probe.hpp"
#include "checkers/io/smtp_probe.hpp"
#include "checkers/io/udp_probe.hpp"
#include "checkers/tests/io_util.hpp"
#include "conf/load.hpp"
#include "conf/source.hpp"

namespace vigil::checkers::io {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace std::chrono_literals;
using testing::now;
using testing::run_until;

const IpAddress kLoopback = IpAddress::v4(0x7f000001);

template <class Prober, class Target>
ProbeOutcome run_probe(asio::io_context& io, Prober& prober, const Target& t, Duration timeout = 2s) {
  std::optional<ProbeOutcome> out;
  prober.start(t, now() + timeout, [&](ProbeOutcome o) { out = std::move(o); });
  EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }, std::chrono::duration_cast<std::chrono::milliseconds>(timeout) + 2s));
  return out.value_or(ProbeOutcome{false, std::nullopt, "no result"});
}

std::uint16_t free_port(asio::io_context& io, bool udp_port) {
  if (udp_port) {
    udp::socket s(io, udp::endpoint(asio::ip::address_v4::loopback(), 0));
    return s.local_endpoint().port();
  }
  tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  return a.local_endpoint().port();
}

std::unique_ptr<conf::Config> load(const std::string& text) {
  conf::MemorySource src;
  src.add("/k.conf", text);
  conf::LoadOptions o;
  o.config_id = "h";
  auto r = conf::load("/k.conf", src, o);
  EXPECT_TRUE(r.ok()) << r.diagnostics.format_all();
  return std::move(r.config);
}

// ---- SMTP ---------------------------------------------------------------------------------

class TinySmtpServer {
 public:
  std::string banner = "220 mail.example.com ESMTP\r\n";
  std::string helo_reply = "250 mail.example.com\r\n";
  bool silent{false};
  std::vector<std::string> received;

  explicit TinySmtpServer(asio::io_context& io) : io_(io), acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  struct Conn {
    explicit Conn(asio::io_context& io) : socket(io) {}
    tcp::socket socket;
    asio::streambuf in;
    std::string out;
  };
  void accept() {
    auto c = std::make_shared<Conn>(io_);
    acceptor_.async_accept(c->socket, [this, c](const boost::system::error_code& ec) {
      if (ec) return;
      conns_.push_back(c);
      if (!silent) say(c, banner);
      accept();
    });
  }
  void say(const std::shared_ptr<Conn>& c, const std::string& text) {
    c->out = text;
    asio::async_write(c->socket, asio::buffer(c->out), [this, c](const boost::system::error_code& ec, std::size_t) {
      if (!ec) hear(c);
    });
  }
  void hear(const std::shared_ptr<Conn>& c) {
    asio::async_read_until(c->socket, c->in, "\r\n", [this, c](const boost::system::error_code& ec, std::size_t n) {
      if (ec) return;
      std::string line(asio::buffers_begin(c->in.data()), asio::buffers_begin(c->in.data()) + static_cast<long>(n) - 2);
      c->in.consume(n);
      received.push_back(line);
      if (line.starts_with("HELO")) say(c, helo_reply);
      else if (line == "QUIT") say(c, "221 bye\r\n");
    });
  }
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Conn>> conns_;
};

TEST(SmtpProbe, GreetingHeloQuitPasses) {
  asio::io_context io;
  TinySmtpServer server(io);
  SmtpProber prober(io);
  SmtpTarget t;
  t.hosts.push_back({kLoopback, server.port()});
  t.helo_name = "checker.example.org";
  const auto o = run_probe(io, prober, t);
  EXPECT_TRUE(o.ok) << o.reason;
  io.run_for(50ms);
  ASSERT_GE(server.received.size(), 2u);
  EXPECT_EQ(server.received[0], "HELO checker.example.org");
  EXPECT_EQ(server.received[1], "QUIT");
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(SmtpProbe, MultiLineGreetingIsReadToItsEnd) {
  asio::io_context io;
  TinySmtpServer server(io);
  server.banner = "220-mail.example.com ESMTP\r\n220-more text\r\n220 ready\r\n";
  SmtpProber prober(io);
  SmtpTarget t;
  t.hosts.push_back({kLoopback, server.port()});
  EXPECT_TRUE(run_probe(io, prober, t).ok);
}

TEST(SmtpProbe, BadBannerBadHeloRefusedAndSilentFail) {
  asio::io_context io;
  SmtpProber prober(io);
  {
    TinySmtpServer server(io);
    server.banner = "554 go away\r\n";
    SmtpTarget t;
    t.hosts.push_back({kLoopback, server.port()});
    const auto o = run_probe(io, prober, t);
    EXPECT_FALSE(o.ok);
    EXPECT_NE(o.reason.find("bad greeting banner: 554 go away"), std::string::npos) << o.reason;
  }
  {
    TinySmtpServer server(io);
    server.helo_reply = "501 syntax\r\n";
    SmtpTarget t;
    t.hosts.push_back({kLoopback, server.port()});
    const auto o = run_probe(io, prober, t);
    EXPECT_FALSE(o.ok);
    EXPECT_NE(o.reason.find("bad HELO response: 501 syntax"), std::string::npos) << o.reason;
  }
  {
    SmtpTarget t;
    t.hosts.push_back({kLoopback, free_port(io, false)});
    const auto o = run_probe(io, prober, t);
    EXPECT_FALSE(o.ok);
    EXPECT_NE(o.reason.find("connect: Connection refused"), std::string::npos) << o.reason;
  }
  {
    TinySmtpServer server(io);
    server.silent = true;
    SmtpTarget t;
    t.hosts.push_back({kLoopback, server.port()});
    const TimePoint t0 = now();
    const auto o = run_probe(io, prober, t, 300ms);
    EXPECT_FALSE(o.ok);
    EXPECT_EQ(o.reason, "timeout");
    EXPECT_GE(now() - t0, 290ms);
  }
}

TEST(SmtpProbe, EveryHostMustPass) {
  asio::io_context io;
  TinySmtpServer good(io), bad(io);
  bad.banner = "421 busy\r\n";
  SmtpProber prober(io);
  SmtpTarget t;
  t.hosts.push_back({kLoopback, good.port()});
  t.hosts.push_back({kLoopback, good.port()});
  EXPECT_TRUE(run_probe(io, prober, t).ok);
  t.hosts.push_back({kLoopback, bad.port()});
  const auto o = run_probe(io, prober, t);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("[127.0.0.1]:" + std::to_string(bad.port())), std::string::npos) << o.reason;
}

TEST(SmtpTargetFromConfig, HostBlocksReplaceTheServerAndInheritItsSettings) {
  const auto c = load(R"(
virtual_server 10.0.0.1 25 {
  real_server 10.0.0.2 25 {
    SMTP_CHECK {
      helo_name probe.example.org
      connect_timeout 3
      fwmark 7
    }
    SMTP_CHECK {
      host {
        connect_ip 10.0.0.3
        connect_port 2525
      }
      host {
        connect_ip 10.0.0.4
      }
    }
  }
})");
  const auto& rs = c->virtual_servers[0].real_servers[0];
  const auto a = smtp_target(static_cast<const conf::SmtpCheck&>(*rs.checkers[0]));
  EXPECT_EQ(a.helo_name, "probe.example.org");
  ASSERT_EQ(a.hosts.size(), 1u);
  EXPECT_EQ(a.hosts[0].address.to_string(), "10.0.0.2");
  EXPECT_EQ(a.hosts[0].port, 25);
  EXPECT_EQ(a.hosts[0].fwmark, 7u);
  const auto b = smtp_target(static_cast<const conf::SmtpCheck&>(*rs.checkers[1]));
  EXPECT_EQ(b.helo_name, kDefaultHeloName);
  ASSERT_EQ(b.hosts.size(), 2u);
  EXPECT_EQ(b.hosts[0].address.to_string(), "10.0.0.3");
  EXPECT_EQ(b.hosts[0].port, 2525);
  EXPECT_EQ(b.hosts[1].address.to_string(), "10.0.0.4");
  EXPECT_EQ(b.hosts[1].port, 25);
}

// ---- DNS ----------------------------------------------------------------------------------

TEST(DnsWire, QueryBytes) {
  const auto q = dns::query(0x1234, "www.example.com", 1);
  const std::vector<std::uint8_t> want = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                                          3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
                                          0, 1, 0, 1};
  EXPECT_EQ(q, want);
  EXPECT_EQ(dns::query(1, ".", 6).size(), 12u + 1 + 4);  // the root
  EXPECT_EQ(dns::query(1, "example.com.", 6), dns::query(1, "example.com", 6));
  EXPECT_TRUE(dns::query(1, "a..b", 1).empty());
  EXPECT_TRUE(dns::query(1, std::string(64, 'x'), 1).empty());
  EXPECT_EQ(dns::type_code("aaaa"), 28);
  EXPECT_EQ(dns::type_code("SOA"), 6);
  EXPECT_FALSE(dns::type_code("BOGUS"));
}

TEST(DnsWire, ReplyChecks) {
  const auto q = dns::query(0xbeef, "example.com", 6);
  auto r = q;
  r[2] |= 0x80;  // QR
  EXPECT_EQ(dns::check_reply(r, q), dns::Verdict::ok);
  auto upper = r;
  upper[13] = 'E';  // names compare case-insensitively
  EXPECT_EQ(dns::check_reply(upper, q), dns::Verdict::ok);
  auto other = r;
  other[1] ^= 1;
  EXPECT_EQ(dns::check_reply(other, q), dns::Verdict::other_id);
  EXPECT_EQ(dns::check_reply(q, q), dns::Verdict::not_response);
  auto nx = r;
  nx[3] |= 3;
  int rcode = 0;
  EXPECT_EQ(dns::check_reply(nx, q, &rcode), dns::Verdict::rcode);
  EXPECT_EQ(dns::rcode_name(rcode), "NXDOMAIN");
  auto type = r;
  type[type.size() - 3] = 1;  // asked SOA, answered about A
  EXPECT_EQ(dns::check_reply(type, q), dns::Verdict::question);
  EXPECT_EQ(dns::check_reply(std::span(r.data(), 11), q), dns::Verdict::malformed);
  EXPECT_EQ(dns::check_reply(std::span(r.data(), r.size() - 2), q), dns::Verdict::malformed);
}

// Answers every query: `mode` says how.
class TinyDnsServer {
 public:
  enum class Mode { ok, nxdomain, wrong_id_first, silent };
  Mode mode{Mode::ok};
  int queries{0};
  explicit TinyDnsServer(asio::io_context& io) : socket_(io, udp::endpoint(asio::ip::address_v4::loopback(), 0)) { receive(); }
  std::uint16_t port() const { return socket_.local_endpoint().port(); }

 private:
  void receive() {
    socket_.async_receive_from(asio::buffer(buf_), from_, [this](const boost::system::error_code& ec, std::size_t n) {
      if (ec) return;
      ++queries;
      std::vector<std::uint8_t> r(buf_.begin(), buf_.begin() + static_cast<long>(n));
      r[2] |= 0x80;
      if (mode == Mode::nxdomain) r[3] |= 3;
      if (mode == Mode::wrong_id_first) {
        auto stale = r;
        stale[0] ^= 0xff;
        socket_.send_to(asio::buffer(stale), from_);
      }
      if (mode != Mode::silent) socket_.send_to(asio::buffer(r), from_);
      receive();
    });
  }
  udp::socket socket_;
  udp::endpoint from_;
  std::array<std::uint8_t, 512> buf_{};
};

TEST(DnsProbe, NoErrorReplyPassesOthersFail) {
  asio::io_context io;
  TinyDnsServer server(io);
  DnsProber prober(io);
  DnsTarget t;
  t.server = {kLoopback, server.port()};
  t.name = "example.com";
  t.type = 1;
  auto o = run_probe(io, prober, t);
  EXPECT_TRUE(o.ok) << o.reason;

  server.mode = TinyDnsServer::Mode::wrong_id_first;  // ignored, then the real answer
  o = run_probe(io, prober, t);
  EXPECT_TRUE(o.ok) << o.reason;

  server.mode = TinyDnsServer::Mode::nxdomain;
  o = run_probe(io, prober, t);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("NXDOMAIN"), std::string::npos) << o.reason;

  server.mode = TinyDnsServer::Mode::silent;
  o = run_probe(io, prober, t, 200ms);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("timeout"), std::string::npos) << o.reason;
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(DnsProbe, PortUnreachableFailsAtOnce) {
  asio::io_context io;
  DnsProber prober(io);
  DnsTarget t;
  t.server = {kLoopback, free_port(io, true)};
  const TimePoint t0 = now();
  const auto o = run_probe(io, prober, t, 3s);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("port unreachable"), std::string::npos) << o.reason;
  EXPECT_LT(now() - t0, 1s);
}

TEST(DnsTargetFromConfig, DefaultsAndRetry) {
  const auto c = load(R"(
virtual_server 10.0.0.1 53 {
  protocol UDP
  real_server 10.0.0.2 53 {
    DNS_CHECK {
    }
    DNS_CHECK {
      type AAAA
      name www.example.com
      retry 1
    }
  }
})");
  const auto& rs = c->virtual_servers[0].real_servers[0];
  const auto a = dns_target(static_cast<const conf::DnsCheck&>(*rs.checkers[0]));
  EXPECT_EQ(a.name, ".");
  EXPECT_EQ(a.type, 6);
  EXPECT_EQ(a.server.port, 53);
  const auto b = dns_target(static_cast<const conf::DnsCheck&>(*rs.checkers[1]));
  EXPECT_EQ(b.name, "www.example.com");
  EXPECT_EQ(b.type, 28);
  const auto policy = policy_from_config(*c);
  EXPECT_EQ(policy[0].servers[0].checkers[0].retry, 3);  // keepalived's DNS default
  EXPECT_EQ(policy[0].servers[0].checkers[1].retry, 1);
}

// ---- UDP ----------------------------------------------------------------------------------

class UdpEcho {
 public:
  std::optional<std::vector<std::uint8_t>> answer;  // else echo
  bool silent{false};
  std::vector<std::vector<std::uint8_t>> got;
  explicit UdpEcho(asio::io_context& io) : socket_(io, udp::endpoint(asio::ip::address_v4::loopback(), 0)) { receive(); }
  std::uint16_t port() const { return socket_.local_endpoint().port(); }

 private:
  void receive() {
    socket_.async_receive_from(asio::buffer(buf_), from_, [this](const boost::system::error_code& ec, std::size_t n) {
      if (ec) return;
      got.emplace_back(buf_.begin(), buf_.begin() + static_cast<long>(n));
      if (!silent) socket_.send_to(asio::buffer(answer ? *answer : got.back()), from_);
      receive();
    });
  }
  udp::socket socket_;
  udp::endpoint from_;
  std::array<std::uint8_t, 2048> buf_{};
};

TEST(UdpHex, KeepalivedsFreeFormat) {
  EXPECT_EQ(parse_hex("Ab12f 3 456 546443123"),
            (std::vector<std::uint8_t>{0xab, 0x12, 0x0f, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03}));
  EXPECT_EQ(parse_hex(""), std::vector<std::uint8_t>{});
  EXPECT_FALSE(parse_hex("12 zz"));
}

TEST(UdpProbe, ReplyRequiredAndLengthBounds) {
  asio::io_context io;
  UdpEcho echo(io);
  UdpProber prober(io);
  UdpTarget t;
  t.server = {kLoopback, echo.port()};
  t.payload = {0xde, 0xad, 0xbe, 0xef};
  t.require_reply = true;
  auto o = run_probe(io, prober, t);
  EXPECT_TRUE(o.ok) << o.reason;
  ASSERT_EQ(echo.got.size(), 1u);
  EXPECT_EQ(echo.got[0], t.payload);

  t.min_reply_length = 5;
  o = run_probe(io, prober, t);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("reply of 4 bytes, not 5..255"), std::string::npos) << o.reason;

  t.min_reply_length = 0;
  echo.answer = std::vector<std::uint8_t>(300, 1);
  EXPECT_FALSE(run_probe(io, prober, t).ok);
  t.max_reply_length = 300;
  EXPECT_TRUE(run_probe(io, prober, t).ok);
}

TEST(UdpProbe, SilenceFailsOnlyWhenAReplyIsRequired) {
  asio::io_context io;
  UdpEcho echo(io);
  echo.silent = true;
  UdpProber prober(io);
  UdpTarget t;
  t.server = {kLoopback, echo.port()};
  const TimePoint t0 = now();
  auto o = run_probe(io, prober, t, 200ms);
  EXPECT_TRUE(o.ok) << o.reason;  // no ICMP error by the deadline
  EXPECT_GE(now() - t0, 190ms);
  ASSERT_EQ(echo.got.size(), 1u);
  EXPECT_EQ(echo.got[0].size(), 16u);  // no payload configured: a random one
  t.require_reply = true;
  o = run_probe(io, prober, t, 200ms);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("no reply"), std::string::npos) << o.reason;
}

TEST(UdpProbe, IcmpPortUnreachableFailsAtOnce) {
  asio::io_context io;
  UdpProber prober(io);
  UdpTarget t;
  t.server = {kLoopback, free_port(io, true)};
  const TimePoint t0 = now();
  const auto o = run_probe(io, prober, t, 3s);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("port unreachable (ICMP)"), std::string::npos) << o.reason;
  EXPECT_LT(now() - t0, 1s);
}

TEST(UdpTargetFromConfig, PayloadAndBounds) {
  const auto c = load(R"(
virtual_server 10.0.0.1 5000 {
  protocol UDP
  real_server 10.0.0.2 5000 {
    UDP_CHECK {
      payload "01 02 0a"
      require_reply
      min_reply_length 2
      max_reply_length 10
    }
  }
})");
  const auto t = udp_target(static_cast<const conf::UdpCheck&>(*c->virtual_servers[0].real_servers[0].checkers[0]));
  EXPECT_EQ(t.payload, (std::vector<std::uint8_t>{1, 2, 10}));
  EXPECT_TRUE(t.require_reply);
  EXPECT_EQ(t.min_reply_length, 2u);
  EXPECT_EQ(t.max_reply_length, 10u);
  EXPECT_EQ(t.server.port, 5000);
}

// ---- PING ---------------------------------------------------------------------------------

TEST(Checksum, Rfc1071) {
  const std::uint8_t echo[] = {8, 0, 0, 0, 0x12, 0x34, 0, 1};
  EXPECT_EQ(inet_checksum(echo, sizeof echo), 0xe5ca);
}

bool can_open(int type, int family, int protocol) {
  const int fd = ::socket(family, type, protocol);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

TEST(PingProbe, LoopbackAnswersOverEitherKindOfSocket) {
  asio::io_context io;
  for (auto mode : {PingProber::Mode::dgram, PingProber::Mode::raw}) {
    const int type = mode == PingProber::Mode::dgram ? SOCK_DGRAM : SOCK_RAW;
    if (!can_open(type, AF_INET, IPPROTO_ICMP)) {
      std::cout << "(ping mode " << type << " not permitted here: skipped)\n";
      continue;
    }
    PingProber prober(io, mode);
    PingTarget t;
    t.host.address = kLoopback;
    const auto o = run_probe(io, prober, t);
    EXPECT_TRUE(o.ok) << o.reason;
    if (can_open(type, AF_INET6, IPPROTO_ICMPV6)) {
      t.host.address = *IpAddress::parse("::1");
      const auto o6 = run_probe(io, prober, t);
      EXPECT_TRUE(o6.ok) << o6.reason;
    }
  }
}

TEST(PingProbe, AutomaticModeFindsAWay) {
  asio::io_context io;
  if (!can_open(SOCK_DGRAM, AF_INET, IPPROTO_ICMP) && !can_open(SOCK_RAW, AF_INET, IPPROTO_ICMP))
    GTEST_SKIP() << "neither ping sockets nor raw sockets are permitted";
  PingProber prober(io);
  PingTarget t;
  t.host.address = kLoopback;
  std::vector<bool> results;
  for (int i = 0; i < 5; ++i) results.push_back(run_probe(io, prober, t).ok);
  EXPECT_EQ(results, std::vector<bool>(5, true));
  EXPECT_TRUE(prober.used(false).has_value());
}

}  // namespace
}  // namespace vigil::checkers::io
