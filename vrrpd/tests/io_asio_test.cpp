// The Asio-backed pieces with a real io_context and short real timers (no root): timer
// semantics, and scripts spawned, reaped and killed without blocking the loop.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <fstream>

#include "vrrpd/io/scripts.hpp"
#include "vrrpd/io/timer.hpp"
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

}  // namespace
}  // namespace vigil::vrrp::io
