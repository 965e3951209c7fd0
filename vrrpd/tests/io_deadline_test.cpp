// DeadlineTable: many deadlines behind one Timer, on a manual clock.
#include <gtest/gtest.h>

#include <vector>

#include "vrrpd/io/deadline_table.hpp"
#include "vrrpd/tests/io_fakes.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;

class DeadlineTest : public ::testing::Test {
 protected:
  test::ManualTimers timers;
  DeadlineTable table{timers};
  std::vector<std::pair<int, TimePoint>> fired;
  DeadlineTable::Slot add(int tag) {
    return table.add([this, tag] { fired.emplace_back(tag, timers.now()); });
  }
};

TEST_F(DeadlineTest, EachSlotFiresAtItsDeadlineInDeadlineOrder) {
  const auto t0 = timers.now();
  const auto a = add(1), b = add(2), c = add(3);
  table.arm(a, t0 + 30ms);
  table.arm(b, t0 + 10ms);
  table.arm(c, t0 + 30ms);  // a tie: slot order
  timers.advance(1s);
  ASSERT_EQ(fired.size(), 3U);
  EXPECT_EQ(fired[0], std::make_pair(2, t0 + 10ms));
  EXPECT_EQ(fired[1], std::make_pair(1, t0 + 30ms));
  EXPECT_EQ(fired[2], std::make_pair(3, t0 + 30ms));
  EXPECT_FALSE(table.deadline(a));
}

// A deadline moved later on every "advert" costs no Timer call; it still fires on time when
// the moves stop, and an earlier deadline is never late.
TEST_F(DeadlineTest, DeadlinesMovedLaterDoNotWakeTheTimer) {
  const auto t0 = timers.now();
  std::vector<DeadlineTable::Slot> slots;
  for (int i = 0; i < 100; ++i) slots.push_back(add(i));
  for (auto s : slots) table.arm(s, t0 + 360ms);
  const auto before = timers.arms();
  for (int k = 1; k <= 100; ++k) {
    timers.advance(100ms);
    for (auto s : slots) table.arm(s, timers.now() + 360ms);
  }
  EXPECT_TRUE(fired.empty());
  EXPECT_LE(timers.arms() - before, 40U);  // about one per 260 ms, for all 100 slots together
  const auto last = timers.now();
  table.arm(slots[7], last + 5ms);  // earlier than the wait: re-armed at once
  timers.advance(6ms);
  ASSERT_EQ(fired.size(), 1U);
  EXPECT_EQ(fired[0], std::make_pair(7, last + 5ms));
  timers.advance(1s);
  EXPECT_EQ(fired.size(), 100U);
  EXPECT_EQ(fired.back().second, last + 360ms);
}

// A callback that cancels or re-arms a slot due at the same wake-up keeps it from firing for
// the old deadline; a released slot never fires.
TEST_F(DeadlineTest, CallbacksMayCancelOrReArmOthers) {
  const auto t0 = timers.now();
  DeadlineTable::Slot b{}, c{}, d{};
  const auto a = table.add([&] {
    fired.emplace_back(1, timers.now());
    table.cancel(b);
    table.arm(c, timers.now() + 5ms);
  });
  b = add(2);
  c = add(3);
  d = add(4);
  for (auto s : {a, b, c, d}) table.arm(s, t0 + 10ms);
  table.release(d);
  timers.advance(1s);
  ASSERT_EQ(fired.size(), 2U);
  EXPECT_EQ(fired[0], std::make_pair(1, t0 + 10ms));
  EXPECT_EQ(fired[1], std::make_pair(3, t0 + 15ms));
}

// A precise table (Master_Down_Timers) wakes the lead before a deadline and spins the rest:
// the slot fires at its deadline exactly, after one spin that began the lead before it.
TEST_F(DeadlineTest, APreciseTableWakesTheLeadEarlyAndSpinsToTheDeadline) {
  timers.lead = 2ms;
  DeadlineTable precise{timers, DeadlineTable::Wake::precise};
  std::vector<TimePoint> at;
  const auto s = precise.add([&] { at.push_back(timers.now()); });
  const auto t0 = timers.now();
  precise.arm(s, t0 + 609ms);
  timers.advance(606ms);
  EXPECT_TRUE(timers.spins.empty());  // not yet woken
  timers.advance(10ms);
  ASSERT_EQ(timers.spins.size(), 1U);
  EXPECT_EQ(timers.spins[0].from, t0 + 607ms);
  EXPECT_EQ(timers.spins[0].to, t0 + 609ms);
  ASSERT_EQ(at.size(), 1U);
  EXPECT_EQ(at[0], t0 + 609ms);
  EXPECT_EQ(precise.spins(), 1U);
  // An ordinary table with the same lead never spins.
  const auto o = add(1);
  table.arm(o, timers.now() + 5ms);
  timers.advance(10ms);
  EXPECT_EQ(timers.spins.size(), 1U);
  ASSERT_EQ(fired.size(), 1U);
}

// A Backup hearing its Master moves Master_Down later and later: the early wake-ups for the
// old deadlines find nothing due within the lead and spin not at all.
TEST_F(DeadlineTest, APreciseTableDoesNotSpinForDeadlinesThatMovedLater) {
  timers.lead = 2ms;
  DeadlineTable precise{timers, DeadlineTable::Wake::precise};
  int n = 0;
  const auto s = precise.add([&] { ++n; });
  for (int k = 0; k < 50; ++k) {
    precise.arm(s, timers.now() + 36ms);
    timers.advance(10ms);
  }
  EXPECT_EQ(n, 0);
  EXPECT_TRUE(timers.spins.empty());
  timers.advance(1s);  // the adverts stop
  EXPECT_EQ(n, 1);
  EXPECT_EQ(timers.spins.size(), 1U);
}

// A sync group member held back re-fires its Master_Down_Timer every 36 ms: the spins stay
// within the budget (20 ms, then 2 % of the time), and every deadline still fires on time.
TEST_F(DeadlineTest, SpinningIsBudgeted) {
  timers.lead = 2ms;
  DeadlineTable precise{timers, DeadlineTable::Wake::precise};
  std::vector<TimePoint> at;
  DeadlineTable::Slot s{};
  s = precise.add([&] {
    at.push_back(timers.now());
    precise.arm(s, timers.now() + 36ms);
  });
  const auto t0 = timers.now();
  precise.arm(s, t0 + 36ms);
  timers.advance(10s);
  ASSERT_EQ(at.size(), 277U);  // 10 s / 36 ms
  for (std::size_t i = 0; i < at.size(); ++i) EXPECT_EQ(at[i], t0 + 36ms * static_cast<int>(i + 1));
  Duration spun{};
  for (const auto& r : timers.spins) spun += r.to - r.from;
  EXPECT_LE(spun, 20ms + 10000ms / 50 + 2ms);  // without the budget: 277 x 2 ms
  EXPECT_GT(precise.spins_over_budget(), 100U);
  EXPECT_GE(precise.spins(), 100U);
}

// A packet waiting when the spin begins (the Master's advert, just in time) stops it: the
// loop reads the packet first and the deadline is waited for exactly. When the packet moved
// the deadline later, nothing fires; when it did not, the slot fires at its deadline.
TEST_F(DeadlineTest, InputWaitingStopsTheSpinAndTheLoopReadsItFirst) {
  timers.lead = 2ms;
  DeadlineTable precise{timers, DeadlineTable::Wake::precise};
  bool waiting = true;
  precise.set_input_waiting([&] { return waiting; });
  std::vector<TimePoint> at;
  const auto s = precise.add([&] { at.push_back(timers.now()); });
  const auto t0 = timers.now();
  precise.arm(s, t0 + 100ms);
  timers.advance(98ms);  // the early wake: input waiting, no spin
  ASSERT_EQ(timers.spins.size(), 1U);
  EXPECT_FALSE(timers.spins[0].reached);
  EXPECT_EQ(precise.spins_stopped(), 1U);
  EXPECT_TRUE(at.empty());
  precise.arm(s, t0 + 200ms);  // the advert read: Master_Down moves on
  timers.advance(50ms);
  EXPECT_TRUE(at.empty());
  waiting = true;  // at the next early wake input waits again, but it changes nothing
  timers.advance(100ms);
  ASSERT_EQ(at.size(), 1U);
  EXPECT_EQ(at[0], t0 + 200ms);  // fired at the exact wait: both spins were stopped
  EXPECT_EQ(timers.spins.size(), 2U);
  EXPECT_EQ(precise.spins(), 0U);
}

}  // namespace
}  // namespace vigil::vrrp::io
