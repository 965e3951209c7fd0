// The driver end to end on the real loop: a keepalived.conf with real servers on 127.0.0.1,
// one listening and one not, and the actions that reach the daemon.
#include "checkers/io/driver.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checkers/tests/core_sim.hpp"
#include "checkers/tests/io_util.hpp"
#include "conf/load.hpp"
#include "conf/source.hpp"

namespace vigil::checkers::io {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using testing::run_until;

struct Captured final : Log {
  bool enabled(Severity) const override { return true; }
  void write(Severity s, std::string m) override {
    if (s <= Severity::info) lines.push_back(std::move(m));
  }
  std::vector<std::string> lines;
};

std::unique_ptr<conf::Config> load(const std::string& text) {
  conf::MemorySource src;
  src.add("/k.conf", text);
  conf::LoadOptions o;
  o.config_id = "h";
  auto r = conf::load("/k.conf", src, o);
  EXPECT_TRUE(r.ok()) << r.diagnostics.format_all();
  return std::move(r.config);
}

TEST(CheckerDriver, DeadServerLeavesAndComesBackWhenItListensAgain) {
  asio::io_context io;
  auto up = std::make_unique<tcp::acceptor>(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  auto down = std::make_unique<tcp::acceptor>(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
  const auto up_port = up->local_endpoint().port();
  const auto down_port = down->local_endpoint().port();
  down.reset();  // nothing listens there now

  const auto config = load(R"(
virtual_server 10.1.1.1 80 {
  delay_loop 0.2
  sorry_server 10.1.1.9 80
  quorum 2
  real_server 127.0.0.1 )" + std::to_string(up_port) + R"( {
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 127.0.0.1 )" + std::to_string(down_port) + R"( {
    MISC_CHECK {
      misc_path "exit 0"
    }
    TCP_CHECK {
      connect_timeout 1
      retry 0
    }
  }
}
)");
  ASSERT_TRUE(config);
  SteadyClock clock;
  Captured log;
  AsioProber prober(io, log);
  std::vector<Action> effects;
  CheckerDriver driver(io, *config, clock, prober, log, [&](const Action& a) { effects.push_back(a); },
                       testing::fixed_random({}));
  driver.start();
  const RsKey a{0, 0}, b{0, 1};
  EXPECT_THAT(effects, ElementsAre(Action{SetRealServer{a, true, 1}}, Action{SetRealServer{b, true, 1}}));

  // b's TCP_CHECK is refused at its first probe: b leaves, quorum 2 is lost, the sorry
  // server comes in in place of a.
  ASSERT_TRUE(run_until(io, [&] { return driver.core().sorry_in(0); }, 3s));
  EXPECT_THAT(std::vector<Action>(effects.begin() + 2, effects.end()),
              ElementsAre(Action{SetRealServer{b, false, 0}}, Action{Notify{NotifyKind::rs_down, b, std::nullopt}},
                          Action{SetRealServer{a, false, 0}}, Action{SwapSorry{0, true}},
                          Action{Notify{NotifyKind::quorum_down, {0, 0}, std::nullopt}}));
  EXPECT_FALSE(driver.core().alive(b));

  // b listens again: it comes back at a later probe, and so does quorum.
  effects.clear();
  tcp::acceptor again(io, tcp::endpoint(asio::ip::address_v4::loopback(), down_port));
  ASSERT_TRUE(run_until(io, [&] { return driver.core().quorum_up(0); }, 3s));
  EXPECT_THAT(effects, ElementsAre(Action{Notify{NotifyKind::rs_up, b, std::nullopt}}, Action{SwapSorry{0, false}},
                                   Action{SetRealServer{a, true, 1}}, Action{SetRealServer{b, true, 1}},
                                   Action{Notify{NotifyKind::quorum_up, {0, 0}, std::nullopt}}));
  EXPECT_THAT(log.lines, ::testing::Contains(::testing::HasSubstr("[127.0.0.1]:" + std::to_string(down_port) +
                                                                  " DOWN: TCP_CHECK connect:")));
  driver.stop();
  io.run_for(50ms);
}

// The timer tick follows the shortest interval configured: a fiftieth of it, 1-20 ms.
TEST(CheckerDriver, TheTickIsAFiftiethOfTheShortestInterval) {
  asio::io_context io;
  SteadyClock clock;
  Captured log;
  AsioProber prober(io, log);
  auto tick = [&](const std::string& vs_body) {
    const auto config = load("virtual_server 10.1.1.1 80 {\n" + vs_body +
                             "\n  real_server 127.0.0.1 80 {\n    TCP_CHECK {\n    }\n  }\n}\n");
    EXPECT_TRUE(config);
    if (!config) return Duration{};
    CheckerDriver driver(io, *config, clock, prober, log, nullptr, testing::fixed_random({}));
    return driver.tick();
  };
  EXPECT_EQ(tick("  delay_loop 60"), 20ms);  // and delay_before_retry's default, 1 s
  EXPECT_EQ(tick("  delay_loop 0.5"), 10ms);
  EXPECT_EQ(tick("  delay_loop 0.01"), 1ms);
}

}  // namespace
}  // namespace vigil::checkers::io
