// The Asio-backed pieces with a real io_context and short real timers (no root): timer
// semantics, and scripts spawned, reaped and killed without blocking the loop.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>
#include <fstream>

#include "vrrpd/io/deadline_table.hpp"
#include "vrrpd/io/file_watch.hpp"
#include "vrrpd/io/scripts.hpp"
#include "vrrpd/io/timer.hpp"
#include "vrrpd/io/tracking.hpp"
#include "vrrpd/tests/io_fakes.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;

class AsioTest : public ::testing::Test {
 protected:
  boost::asio::io_context io;
  SteadyClock clock;
  AsioTimerService timers{io, clock};
  void run_for(Duration d) {
    io.restart();
    io.run_for(std::chrono::duration_cast<std::chrono::milliseconds>(d));
  }
};

TEST_F(AsioTest, ATimerFiresOnceAtItsDeadlineAndReArmingReplacesIt) {
  auto t = timers.make_timer();
  int fired = 0;
  TimePoint at{};
  t->arm(timers.now() + 50ms, [&] { ++fired; });
  const auto deadline = timers.now() + 20ms;
  t->arm(deadline, [&] {
    ++fired;
    at = timers.now();
  });
  run_for(150ms);
  EXPECT_EQ(fired, 1);
  EXPECT_GE(at, deadline);  // never early; how late is the benchmarks' business
}

TEST_F(AsioTest, ACancelledOrDestroyedTimerNeverFires) {
  auto t = timers.make_timer();
  auto u = timers.make_timer();
  bool fired = false;
  t->arm(timers.now() + 10ms, [&] { fired = true; });
  u->arm(timers.now() + 10ms, [&] { fired = true; });
  t->cancel();
  u.reset();
  run_for(50ms);
  EXPECT_FALSE(fired);
}

TEST_F(AsioTest, ACompletionQueuedBeforeReArmingDoesNotFireTheOldCallback) {
  auto t = timers.make_timer();
  std::vector<int> fired;
  t->arm(timers.now(), [&] { fired.push_back(1); });
  // Let the deadline pass without running handlers, then re-arm: the old completion may be
  // queued with success already.
  std::this_thread::sleep_for(5ms);
  io.poll_one();
  t->arm(timers.now() + 20ms, [&] { fired.push_back(2); });
  run_for(60ms);
  ASSERT_FALSE(fired.empty());
  EXPECT_EQ(fired.back(), 2);
}

TEST_F(AsioTest, RunOverdueFiresTheDueUrgentTimersOnceWithoutTheLoop) {
  auto urgent = timers.make_urgent_timer();
  auto later = timers.make_urgent_timer();
  auto ordinary = timers.make_timer();
  auto cancelled = timers.make_urgent_timer();
  std::vector<std::string> fired;
  urgent->arm(timers.now() + 5ms, [&] { fired.push_back("urgent"); });
  later->arm(timers.now() + 10s, [&] { fired.push_back("later"); });
  ordinary->arm(timers.now() + 5ms, [&] { fired.push_back("ordinary"); });
  cancelled->arm(timers.now() + 5ms, [&] { fired.push_back("cancelled"); });
  cancelled->cancel();
  EXPECT_FALSE(timers.run_overdue());  // nothing due yet
  std::this_thread::sleep_for(10ms);   // due now, and no handler has run
  EXPECT_TRUE(timers.run_overdue());
  EXPECT_EQ(fired, std::vector<std::string>{"urgent"});
  EXPECT_FALSE(timers.run_overdue());
  run_for(30ms);  // the loop: the urgent timer's own wait finds nothing left to do
  EXPECT_EQ(fired, (std::vector<std::string>{"urgent", "ordinary"}));
}

TEST_F(AsioTest, AnUrgentTimerReArmedFromItsCallbackRunsOncePerRunOverdue) {
  auto t = timers.make_urgent_timer();
  int fired = 0;
  std::function<void()> again = [&] {
    ++fired;
    t->arm(timers.now(), again);  // due again at once
  };
  t->arm(timers.now(), again);
  EXPECT_TRUE(timers.run_overdue());
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(timers.run_overdue());
  EXPECT_EQ(fired, 2);
  t.reset();  // destroyed while armed: leaves the index
  EXPECT_FALSE(timers.run_overdue());
}

TEST_F(AsioTest, AnUrgentDeadlineTableFiresItsDueSlotsFromRunOverdue) {
  DeadlineTable adverts{timers, DeadlineTable::Wake::urgent};
  DeadlineTable others{timers};
  std::vector<std::string> fired;
  const auto a = adverts.add([&] { fired.push_back("adver"); });
  const auto m = others.add([&] { fired.push_back("master_down"); });
  adverts.arm(a, timers.now() + 2ms);
  others.arm(m, timers.now() + 2ms);
  std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(timers.run_overdue());  // the Adver_Timer only: Master_Down waits for the loop
  EXPECT_EQ(fired, std::vector<std::string>{"adver"});
  run_for(20ms);
  EXPECT_EQ(fired, (std::vector<std::string>{"adver", "master_down"}));
}

// A precise table on the real loop: the slot fires at or after its deadline, never before,
// after a spin; the spin asks whether input is waiting and polls the urgent timers (an
// advert due during it goes out from inside it, not after it).
TEST_F(AsioTest, APreciseTableSpinsToItsDeadlineAndRunsTheUrgentTimersMeanwhile) {
  timers.set_spin_lead(15ms);  // wide (within the 20 ms budget): the early wake-up may come late on a busy host
  DeadlineTable precise{timers, DeadlineTable::Wake::precise};
  bool spinning = false;
  precise.set_input_waiting([&] {
    spinning = true;
    return false;
  });
  std::optional<TimePoint> fired_at;
  const auto s = precise.add([&] {
    fired_at = timers.now();
    spinning = false;  // an advert fired after this did not fire inside the spin
  });
  const auto deadline = timers.now() + 60ms;
  precise.arm(s, deadline);
  auto advert = timers.make_urgent_timer();
  std::optional<bool> advert_in_spin;
  advert->arm(deadline - 1ms, [&] { advert_in_spin = spinning; });
  run_for(150ms);
  ASSERT_TRUE(fired_at);
  EXPECT_GE(*fired_at, deadline);
  EXPECT_EQ(precise.spins(), 1U);
  ASSERT_TRUE(advert_in_spin);
  EXPECT_TRUE(*advert_in_spin);
}

// A spin whose thread was preempted across its deadline (here: the clock is past it at the
// first read) still runs the urgent timers that came due meanwhile before it returns.
TEST(AsioSpin, UrgentTimersDueBeforeTheDeadlineRunEvenWhenTheSpinStartsPastIt) {
  boost::asio::io_context io;
  ManualClock clock{TimePoint{} + 1s};
  AsioTimerService timers{io, clock};
  auto advert = timers.make_urgent_timer();
  bool fired = false;
  advert->arm(clock.now() + 5ms, [&] { fired = true; });
  const TimePoint deadline = clock.now() + 10ms;
  clock.advance(20ms);
  const auto spin = timers.spin_until(deadline, nullptr);
  EXPECT_TRUE(spin.reached);
  EXPECT_TRUE(fired);
}

// Input that comes during the spin (here: from 100 us before the deadline on) stops it, at
// the latest at the deadline: the slot then fires from the loop, after the input's handlers.
TEST_F(AsioTest, InputComingDuringTheSpinStopsItBeforeTheDeadlineFires) {
  timers.set_spin_lead(15ms);
  DeadlineTable precise{timers, DeadlineTable::Wake::precise};
  const auto deadline = timers.now() + 60ms;
  precise.set_input_waiting([&] { return timers.now() >= deadline - 100us; });
  std::optional<TimePoint> fired_at;
  const auto s = precise.add([&] { fired_at = timers.now(); });
  precise.arm(s, deadline);
  run_for(150ms);
  ASSERT_TRUE(fired_at);
  EXPECT_GE(*fired_at, deadline);
  EXPECT_EQ(precise.spins(), 0U);
  EXPECT_EQ(precise.spins_stopped(), 1U);
}

TEST_F(AsioTest, ScriptsRunWithoutBlockingTheLoopAndAreReaped) {
  test::RecordingLog log;
  SpawnScriptRunner scripts(io, timers, log);
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-scripts-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto out = (dir / "out").string();
  const auto t0 = timers.now();
  scripts.run({"/bin/sh", "-c", "sleep 0.2; echo \"$0 $1\" > " + out, "MASTER", "VI_1"}, 5s);
  scripts.run({"/bin/sh", "-c", "exit 3"}, 5s);
  EXPECT_LT(timers.now() - t0, 100ms);  // spawned, not waited for
  EXPECT_EQ(scripts.running(), 2u);
  run_for(1s);
  EXPECT_EQ(scripts.running(), 0u);
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "MASTER VI_1");
  EXPECT_TRUE(log.contains("exited with status 3"));
  std::filesystem::remove_all(dir);
}

TEST_F(AsioTest, AHangingScriptIsKilledAfterItsTimeout) {
  test::RecordingLog log;
  SpawnScriptRunner scripts(io, timers, log);
  scripts.run({"sleep", "30"}, 100ms);
  const auto t0 = timers.now();
  run_for(1s);
  EXPECT_EQ(scripts.running(), 0u);
  EXPECT_LT(timers.now() - t0, 2s);
  EXPECT_TRUE(log.contains("timed out, killing it"));
  EXPECT_TRUE(log.contains("killed by signal 9"));
}

TEST_F(AsioTest, AScriptThatCannotStartIsLogged) {
  test::RecordingLog log;
  SpawnScriptRunner scripts(io, timers, log);
  scripts.run({"/nonexistent/vigil-notify"}, 1s);
  EXPECT_EQ(scripts.running(), 0u);
  EXPECT_TRUE(log.contains("cannot start"));
}

TEST_F(AsioTest, ATrackScriptsExitStatusAndTimeoutAreReported) {
  test::RecordingLog log;
  SpawnScriptRunner scripts(io, timers, log);
  std::array<std::optional<ScriptExit>, 4> got;
  auto into = [&](std::size_t i) { return [&got, i](const ScriptExit& e) { got[i] = e; }; };
  scripts.run({"/bin/sh", "-c", "exit 0"}, 1s, into(0));
  scripts.run({"/bin/sh", "-c", "exit 4"}, 1s, into(1));
  // A shell whose child hangs: the whole process group is killed at the timeout.
  scripts.run({"/bin/sh", "-c", "sleep 30; true"}, 100ms, into(2));
  scripts.run({"/nonexistent/chk"}, 1s, into(3));
  ASSERT_TRUE(got[3]);  // at once
  EXPECT_EQ(got[3]->how, ScriptExit::How::not_started);
  run_for(1s);
  ASSERT_TRUE(got[0] && got[1] && got[2]);
  EXPECT_TRUE(got[0]->ok());
  EXPECT_EQ(got[1]->how, ScriptExit::How::exited);
  EXPECT_EQ(got[1]->code, 4);
  EXPECT_EQ(got[2]->how, ScriptExit::How::timed_out);
  EXPECT_EQ(scripts.running(), 0u);
}

TEST_F(AsioTest, AVrrpScriptTrackerOnTheRealLoop) {
  test::RecordingLog log;
  SpawnScriptRunner scripts(io, timers, log);
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-chk-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto flag = (dir / "ok").string();
  std::vector<ScriptState> states;
  ScriptTracker t({"chk", {"/bin/sh", "-c", "test -e " + flag}, 50ms, 1s, 1, 2, false}, scripts, timers, log,
                  [&](const std::string&, ScriptState s) { states.push_back(s); });
  { std::ofstream(flag) << "1"; }
  t.start();
  run_for(120ms);
  EXPECT_EQ(t.state(), ScriptState::good);
  std::filesystem::remove(flag);
  run_for(300ms);
  EXPECT_EQ(t.state(), ScriptState::bad);  // after fall 2
  EXPECT_EQ(states, (std::vector{ScriptState::good, ScriptState::bad}));
  EXPECT_GE(t.runs(), 4u);
  t.stop();
  run_for(50ms);
  std::filesystem::remove_all(dir);
}

TEST_F(AsioTest, AWatchedTrackFileIsReadWhenWrittenReplacedOrDeleted) {
  const auto dir = std::filesystem::temp_directory_path() / ("vigil-tf-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "prio").string();
  std::vector<std::pair<std::string, long long>> seen;
  auto fw = FileWatch::open(io, [&](const std::string& n, long long v) { seen.emplace_back(n, v); });
  ASSERT_TRUE(fw) << fw.error();
  ASSERT_TRUE(init_track_file({"f", path, 7, false}));
  EXPECT_EQ(read_track_file(path), 7);
  ASSERT_TRUE(init_track_file({"f", path, 9, false}));  // exists: left alone
  EXPECT_EQ(read_track_file(path), 7);
  auto first = (*fw)->add("f", path);
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, 7);
  { std::ofstream(path) << "-5\n"; }
  run_for(50ms);
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back(), (std::pair<std::string, long long>{"f", -5}));
  { std::ofstream(path + ".tmp") << "12\n"; }
  std::filesystem::rename(path + ".tmp", path);
  run_for(50ms);
  EXPECT_EQ(seen.back().second, 12);
  std::filesystem::remove(path);
  run_for(50ms);
  EXPECT_EQ(seen.back().second, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigil::vrrp::io
