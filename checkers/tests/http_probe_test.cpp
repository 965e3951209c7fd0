// HTTP_GET against a tiny Asio HTTP/1.0 server on 127.0.0.1: status_code ranges, digest,
// virtualhost, every url must pass, and a server that never answers hitting the deadline.
#include "checkers/io/http_probe.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>
#include <map>

#include "checkers/tests/io_util.hpp"
#include "conf/load.hpp"
#include "conf/source.hpp"

namespace vigil::checkers::io {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using testing::now;
using testing::run_until;

const IpAddress kLoopback = IpAddress::v4(0x7f000001);

class TinyHttpServer {
 public:
  struct Page {
    int status{200};
    std::string body;
    bool hang{false};  // read the request, never answer
  };
  explicit TinyHttpServer(asio::io_context& io)
      : io_(io), acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    accept();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::map<std::string, Page> pages;
  std::vector<std::string> requests;

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
      serve(c);
      accept();
    });
  }
  void serve(const std::shared_ptr<Conn>& c) {
    asio::async_read_until(c->socket, c->in, "\r\n\r\n", [this, c](const boost::system::error_code& ec, std::size_t n) {
      if (ec) return;
      std::string req(asio::buffers_begin(c->in.data()), asio::buffers_begin(c->in.data()) + static_cast<long>(n));
      requests.push_back(req);
      const std::string path = req.substr(req.find(' ') + 1, req.find(' ', req.find(' ') + 1) - req.find(' ') - 1);
      const auto it = pages.find(path);
      const Page page = it == pages.end() ? Page{404, "no"} : it->second;
      if (page.hang) {
        hung_.push_back(c);
        return;
      }
      c->out = "HTTP/1.0 " + std::to_string(page.status) + " X\r\nContent-Length: " + std::to_string(page.body.size()) +
               "\r\nConnection: close\r\n\r\n" + page.body;
      asio::async_write(c->socket, asio::buffer(c->out), [c](const boost::system::error_code&, std::size_t) {
        boost::system::error_code ignored;
        c->socket.shutdown(tcp::socket::shutdown_both, ignored);
      });
    });
  }
  asio::io_context& io_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Conn>> hung_;
};

struct Fixture : ::testing::Test {
  asio::io_context io;
  TinyHttpServer server{io};
  HttpProber prober{io};

  HttpTarget target(std::vector<HttpUrl> urls) {
    HttpTarget t;
    t.address = kLoopback;
    t.port = server.port();
    t.urls = std::move(urls);
    return t;
  }
  ProbeOutcome probe(const HttpTarget& t, Duration timeout = 3s) {
    std::optional<ProbeOutcome> out;
    prober.start(t, now() + timeout, [&](ProbeOutcome o) { out = std::move(o); });
    EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
    return out.value_or(ProbeOutcome{false, std::nullopt, "no result"});
  }
};

using HttpProbe = Fixture;

TEST(Md5Hex, KnownValue) { EXPECT_EQ(md5_hex("hello"), "5d41402abc4b2a76b9719d911017c592"); }

TEST_F(HttpProbe, StatusAndDigestPass) {
  server.pages["/ok"] = {200, "hello"};
  const auto o = probe(target({{"/ok", md5_hex("hello"), "", {}}}));
  EXPECT_TRUE(o.ok) << o.reason;
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST_F(HttpProbe, WrongDigestFails) {
  server.pages["/ok"] = {200, "hello"};
  const auto o = probe(target({{"/ok", std::string(32, '0'), "", {}}}));
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("digest 5d41402abc4b2a76b9719d911017c592"), std::string::npos) << o.reason;
}

TEST_F(HttpProbe, StatusCodeRanges) {
  server.pages["/err"] = {500, "boom"};
  server.pages["/new"] = {201, ""};
  auto o = probe(target({{"/err", "", "", {}}}));
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.reason, "/err: status 500");
  EXPECT_TRUE(probe(target({{"/new", "", "", {}}})).ok);  // default 200-299
  EXPECT_TRUE(probe(target({{"/err", "", "", {{200, 204}, {500, 503}}}})).ok);
  EXPECT_FALSE(probe(target({{"/new", "", "", {{200, 200}}}})).ok);
}

TEST_F(HttpProbe, VirtualhostIsTheHostHeader) {
  server.pages["/"] = {200, ""};
  EXPECT_TRUE(probe(target({{"/", "", "www.example.com", {}}})).ok);
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_NE(server.requests[0].find("GET / HTTP/1.0\r\n"), std::string::npos) << server.requests[0];
  EXPECT_NE(server.requests[0].find("Host: www.example.com\r\n"), std::string::npos) << server.requests[0];
}

TEST_F(HttpProbe, EveryUrlMustPass) {
  server.pages["/a"] = {200, "a"};
  server.pages["/b"] = {503, "b"};
  EXPECT_TRUE(probe(target({{"/a", "", "", {}}, {"/a", md5_hex("a"), "", {}}})).ok);
  const auto o = probe(target({{"/a", "", "", {}}, {"/b", "", "", {}}}));
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.reason, "/b: status 503");
}

TEST_F(HttpProbe, BodyLargerThanTheBoundFails) {
  server.pages["/big"] = {200, std::string(100'000, 'x')};
  HttpTarget t = target({{"/big", md5_hex("whatever"), "", {}}});
  t.max_body = 1000;
  const auto o = probe(t);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("body larger than 1000 bytes"), std::string::npos) << o.reason;
  // Without a digest the body is not read at all, whatever its size.
  t.urls[0].digest.clear();
  EXPECT_TRUE(probe(t).ok);
}

TEST_F(HttpProbe, RefusedConnectionFails) {
  HttpTarget t = target({{"/", "", "", {}}});
  {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    t.port = a.local_endpoint().port();
  }
  const auto o = probe(t);
  EXPECT_FALSE(o.ok);
  EXPECT_FALSE(o.reason.empty());
}

TEST_F(HttpProbe, SilentServerFailsAtTheDeadlineAndTheLoopKeepsTurning) {
  server.pages["/hang"] = {200, "", true};
  asio::steady_timer tick(io);
  std::vector<TimePoint> ticks;
  std::function<void()> arm = [&] {
    tick.expires_after(10ms);
    tick.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      ticks.push_back(now());
      arm();
    });
  };
  arm();
  const TimePoint t0 = now();
  const auto o = probe(target({{"/hang", "", "", {}}}), 300ms);
  const Duration took = now() - t0;
  tick.cancel();
  EXPECT_FALSE(o.ok);
  EXPECT_GE(took, 290ms);
  EXPECT_LT(took, 1s);
  EXPECT_GE(ticks.size(), 20u);
}

TEST_F(HttpProbe, ManyProbesAtOnce) {
  server.pages["/ok"] = {200, "hello"};
  int passed = 0, done = 0;
  for (int i = 0; i < 50; ++i)
    prober.start(target({{"/ok", md5_hex("hello"), "", {}}}), now() + 5s, [&](ProbeOutcome o) {
      ++done;
      passed += o.ok;
    });
  ASSERT_TRUE(run_until(io, [&] { return done == 50; }));
  EXPECT_EQ(passed, 50);
}

// curl starts every added transfer in one step (the zero timeout's action): the urgent
// lane is polled inside that step, once or more per transfer, not once for all of them.
TEST_F(HttpProbe, TheUrgentLaneIsPolledInsideTheStepThatStartsManyTransfers) {
  struct Counting final : Urgent {
    void poll() override { ++polls; }
    int polls{0};
  } urgent;
  prober.set_urgent(&urgent);
  server.pages["/ok"] = {200, "hello"};
  int done = 0;
  constexpr int kTransfers = 30;
  for (int i = 0; i < kTransfers; ++i)
    prober.start(target({{"/ok", "", "", {}}}), now() + 5s, [&](ProbeOutcome) { ++done; });
  ASSERT_EQ(io.run_one(), 1u);  // the one posted action: curl's step over all 30
  EXPECT_GE(urgent.polls, kTransfers);
  ASSERT_TRUE(run_until(io, [&] { return done == kTransfers; }));
}

TEST_F(HttpProbe, CancelledProbeNeverCallsBack) {
  server.pages["/hang"] = {200, "", true};
  bool called = false;
  const auto token = prober.start(target({{"/hang", "", "", {}}}), now() + 200ms, [&](ProbeOutcome) { called = true; });
  io.run_for(50ms);
  prober.cancel(token);
  io.run_for(300ms);
  EXPECT_FALSE(called);
  EXPECT_EQ(prober.in_flight(), 0u);
}

TEST(HttpTargetFromConfig, UrlsVirtualhostAndSni) {
  conf::MemorySource src;
  src.add("/k.conf", R"(
virtual_server 10.0.0.1 443 {
  real_server 10.0.0.2 8443 {
    SSL_GET {
      virtualhost www.example.com
      enable_sni
      http_protocol 1.1
      url {
        path health
        digest 5D41402ABC4B2A76B9719D911017C592
        status_code 200-204 301
      }
    }
  }
}
)");
  conf::LoadOptions lo;
  lo.config_id = "h";
  const auto r = conf::load("/k.conf", src, lo);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format_all();
  const auto& check = static_cast<const conf::HttpCheck&>(*r.config->virtual_servers[0].real_servers[0].checkers[0]);
  const HttpTarget t = http_target(check);
  EXPECT_TRUE(t.tls);
  EXPECT_EQ(t.address.to_string(), "10.0.0.2");
  EXPECT_EQ(t.port, 8443);
  EXPECT_TRUE(t.http_1_1);
  EXPECT_EQ(t.sni_name, "www.example.com");
  ASSERT_EQ(t.urls.size(), 1u);
  EXPECT_EQ(t.urls[0].path, "/health");
  EXPECT_EQ(t.urls[0].digest, "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(t.urls[0].virtualhost, "www.example.com");
  EXPECT_EQ(t.urls[0].status_code, (std::vector<std::pair<int, int>>{{200, 204}, {301, 301}}));
}

}  // namespace
}  // namespace vigil::checkers::io

namespace vigil::checkers::io {
namespace {

TEST_F(HttpProbe, RegexMatchNoMatchOptionsAndOffsets) {
  server.pages["/"] = {200, "<html>\n<title>Welcome to nginx!</title>\n</html>\n"};
  auto url = [](std::string re) {
    HttpUrl u;
    u.regex = std::move(re);
    return u;
  };
  EXPECT_TRUE(probe(target({url("Welcome to nginx")})).ok);
  auto o = probe(target({url("Welcome to apache")}));
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.reason, "/: regex 'Welcome to apache' did not match");
  HttpUrl no = url("Maintenance");
  no.regex_no_match = true;
  EXPECT_TRUE(probe(target({no})).ok);
  no.regex = "nginx";
  EXPECT_FALSE(probe(target({no})).ok);
  HttpUrl ci = url("WELCOME");
  EXPECT_FALSE(probe(target({ci})).ok);
  ci.regex_options = {"caseless"};
  EXPECT_TRUE(probe(target({ci})).ok);
  HttpUrl ml = url("^<title>");
  EXPECT_FALSE(probe(target({ml})).ok);
  ml.regex_options = {"multiline"};
  EXPECT_TRUE(probe(target({ml})).ok);
  HttpUrl off = url("html");
  off.regex_min_offset = 7;  // past the first "html"
  off.regex_max_offset = 30;  // before the last
  EXPECT_FALSE(probe(target({off})).ok);
  off.regex_max_offset.reset();
  EXPECT_TRUE(probe(target({off})).ok);
}

TEST_F(HttpProbe, BadRegexAndCatastrophicPatternsFailWithoutStallingTheLoop) {
  server.pages["/"] = {200, std::string(200'000, 'a') + "b"};
  HttpUrl bad;
  bad.regex = "(unclosed";
  auto o = probe(target({bad}));
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("regex: missing closing parenthesis"), std::string::npos) << o.reason;
  HttpUrl opt;
  opt.regex = "a";
  opt.regex_options = {"sideways"};
  o = probe(target({opt}));
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("unknown regex option 'sideways'"), std::string::npos) << o.reason;
  // Exponential backtracking: bounded by the match limit, well under a second.
  HttpUrl evil;
  evil.regex = "(a+)+$c";
  const TimePoint t0 = now();
  o = probe(target({evil}));
  EXPECT_FALSE(o.ok);
  EXPECT_LT(now() - t0, 2s);
  // A pattern that std::regex recurses on per character (it overflows the stack at 16 KiB):
  // fine at 20 KB; at 200 KB it exceeds the heap limit and fails cleanly.
  HttpUrl deep;
  deep.regex = "(a|b)*b$";
  o = probe(target({deep}));
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("regex: "), std::string::npos) << o.reason;
  server.pages["/"] = {200, std::string(20'000, 'a') + "b"};
  o = probe(target({deep}));
  EXPECT_TRUE(o.ok) << o.reason;
}

TEST_F(HttpProbe, ObserverSeesStatusAndDigest) {
  server.pages["/x"] = {404, "gone"};
  HttpTarget t = target({{"/x", "", "", {{100, 999}}}});
  std::string md5;
  long status = 0;
  t.observer = [&](const HttpUrl&, long s, const std::string& m, std::size_t) {
    status = s;
    md5 = m;
  };
  EXPECT_TRUE(probe(t).ok);
  EXPECT_EQ(status, 404);
  EXPECT_EQ(md5, md5_hex("gone"));
}

}  // namespace
}  // namespace vigil::checkers::io
