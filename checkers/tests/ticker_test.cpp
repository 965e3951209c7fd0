#include "checkers/io/ticker.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace vigil::checkers::io {
namespace {

using namespace std::chrono_literals;

constexpr Duration kPeriod = 4ms;

struct TickerTest : ::testing::Test {
  boost::asio::io_context io;
  SteadyClock clock;
  std::vector<TimePoint> fired;
  TimePoint rounded_up(TimePoint t) { return TimePoint{(t.time_since_epoch() + kPeriod - Duration(1)) / kPeriod * kPeriod}; }
};

// A wake-up comes on the tick boundary at or after the time asked, not before.
TEST_F(TickerTest, WakesOnTheTickBoundaryAtOrAfterTheTimeAsked) {
  Ticker t(io, kPeriod, [&] { fired.push_back(clock.now()); });
  const TimePoint at = clock.now() + 10ms + 1ms;
  t.arm(at, clock.now());
  io.run_for(40ms);
  ASSERT_FALSE(fired.empty());
  EXPECT_GE(fired.front(), rounded_up(at));
  EXPECT_EQ(t.settimes(), 1u);
}

// Ticks wanted back to back (the owner arms the next one from each wake-up) cost no
// timerfd_settime after the first: the timerfd runs periodic.
TEST_F(TickerTest, BackToBackTicksAreOneSettime) {
  Ticker* self = nullptr;
  Ticker t(io, kPeriod, [&] {
    fired.push_back(clock.now());
    if (fired.size() < 10) self->arm(clock.now() + kPeriod, clock.now());
  });
  self = &t;
  t.arm(clock.now(), clock.now());
  io.run_for(200ms);
  ASSERT_GE(fired.size(), 10u);
  // The ticks kept coming after the owner stopped asking (it did not disarm): periodic.
  EXPECT_GT(fired.size(), 10u);
  EXPECT_EQ(t.settimes(), 1u);
}

// A far tick, asked from a periodic run, replaces it with one wake-up then.
TEST_F(TickerTest, AFarTickIsOneWakeUpNotATickEveryPeriod) {
  Ticker* self = nullptr;
  TimePoint far{};
  Ticker t(io, kPeriod, [&] {
    fired.push_back(clock.now());
    if (fired.size() == 1) {
      far = clock.now() + 60ms;
      self->arm(far, clock.now());
    }
  });
  self = &t;
  t.arm(clock.now(), clock.now());  // near: periodic
  io.run_for(100ms);
  ASSERT_EQ(fired.size(), 2u);
  EXPECT_GE(fired[1], rounded_up(far));
  EXPECT_EQ(t.settimes(), 2u);
}

// An earlier time than the one set re-arms; a later one waits for the one set.
TEST_F(TickerTest, AnEarlierTimeReArmsALaterOneDoesNot) {
  Ticker t(io, kPeriod, [&] { fired.push_back(clock.now()); });
  const TimePoint now = clock.now();
  t.arm(now + 50ms, now);
  t.arm(now + 80ms, now);  // later: nothing to do
  EXPECT_EQ(t.settimes(), 1u);
  t.arm(now + 20ms, now);  // earlier
  EXPECT_EQ(t.settimes(), 2u);
  io.run_for(35ms);
  ASSERT_EQ(fired.size(), 1u);
  EXPECT_GE(fired[0], rounded_up(now + 20ms));
  EXPECT_LT(fired[0], now + 50ms);
}

TEST_F(TickerTest, DisarmStopsTheTicks) {
  Ticker* self = nullptr;
  Ticker t(io, kPeriod, [&] {
    fired.push_back(clock.now());
    if (fired.size() == 3) self->disarm();
  });
  self = &t;
  t.arm(clock.now(), clock.now());
  io.run_for(60ms);
  EXPECT_EQ(fired.size(), 3u);
}

// The owner may destroy the Ticker from its own tick.
TEST_F(TickerTest, DestroyedFromItsOwnTick) {
  std::unique_ptr<Ticker> t;
  t = std::make_unique<Ticker>(io, kPeriod, [&] {
    fired.push_back(clock.now());
    t.reset();
  });
  t->arm(clock.now(), clock.now());
  io.run_for(30ms);
  EXPECT_EQ(fired.size(), 1u);
  EXPECT_EQ(t, nullptr);
}

}  // namespace
}  // namespace vigil::checkers::io
