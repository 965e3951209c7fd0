#include "daemon/loop.hpp"

#include <gtest/gtest.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>

#include "daemon/tests/test_sinks.hpp"

namespace vigil::daemon {
namespace {

using namespace std::chrono_literals;
using testing::RecordingSink;
using testing::SinkState;

// The acceptance test for "logging never blocks the loop": 100 messages at 200 ms each keep
// the sink busy for 20 s; a 10 ms timer armed after them must still fire promptly.
TEST(Loop, SlowSinkDoesNotDelayATimer) {
  SinkState state;
  state.delay = 200ms;
  Logger log(std::make_unique<RecordingSink>(state));
  ManualClock clock;
  Loop loop(clock, log, {});

  boost::asio::steady_timer timer(loop.context());
  std::chrono::steady_clock::duration waited{};
  std::size_t written_when_fired = 0;
  boost::asio::post(loop.context(), [&] {
    for (int i = 0; i < 100; ++i) log.info(testing::numbered("message ", i));
    const auto armed = std::chrono::steady_clock::now();
    timer.expires_after(10ms);
    timer.async_wait([&, armed](const boost::system::error_code& ec) {
      ASSERT_FALSE(ec);
      waited = std::chrono::steady_clock::now() - armed;
      written_when_fired = state.written();
      loop.stop();
    });
  });
  loop.run();

  // Ordering, not a tight bound: the timer fired while the sink had most of the work left.
  EXPECT_LT(written_when_fired, 100u);
  EXPECT_LT(waited, 5s);  // vs 20 s if logging blocked the loop
  EXPECT_EQ(log.dropped(), 0u);
  state.open_all();  // let the destructor drain quickly
}

TEST(Loop, StartedComesFromTheInjectedClock) {
  SinkState state;
  Logger log(std::make_unique<RecordingSink>(state));
  ManualClock clock(TimePoint{} + 42s);
  Loop loop(clock, log, {});
  EXPECT_EQ(loop.started(), TimePoint{} + 42s);
  clock.advance(3s);
  EXPECT_EQ(loop.clock().now() - loop.started(), 3s);
}

TEST(Loop, SignalsBecomeHandlersOnTheLoopThread) {
  SinkState state;
  Logger log(std::make_unique<RecordingSink>(state));
  ManualClock clock;
  int reloads = 0, dumps = 0, shutdowns = 0;
  // Stop once both arrived, whatever order asio hands them over in.
  auto maybe_done = [&] {
    if (reloads == 1 && dumps == 1) std::raise(SIGTERM);
  };
  Loop loop(clock, log,
            {.reload =
                 [&] {
                   ++reloads;
                   maybe_done();
                 },
             .dump =
                 [&] {
                   ++dumps;
                   maybe_done();
                 },
             .shutdown = [&] { ++shutdowns; }});
  // raise() runs asio's handler at once; the loop sees the signal on its own thread later.
  boost::asio::post(loop.context(), [&] {
    std::raise(SIGHUP);
    std::raise(SIGUSR1);
  });
  EXPECT_EQ(loop.run(), SIGTERM);
  EXPECT_EQ(reloads, 1);
  EXPECT_EQ(dumps, 1);
  EXPECT_EQ(shutdowns, 1);
}

TEST(Loop, SigintStopsToo) {
  SinkState state;
  Logger log(std::make_unique<RecordingSink>(state));
  ManualClock clock;
  Loop loop(clock, log, {});
  boost::asio::post(loop.context(), [] { std::raise(SIGINT); });
  EXPECT_EQ(loop.run(), SIGINT);
}

TEST(Loop, StopWithoutSignal) {
  SinkState state;
  Logger log(std::make_unique<RecordingSink>(state));
  ManualClock clock;
  Loop loop(clock, log, {});
  boost::asio::post(loop.context(), [&] { loop.stop(); });
  EXPECT_EQ(loop.run(), 0);
}

}  // namespace
}  // namespace vigil::daemon
