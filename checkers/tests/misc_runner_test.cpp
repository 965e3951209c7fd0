// MISC_CHECK scripts on the loop: exit codes mapped as keepalived does, a hung script
// killed at its deadline with its whole process group, and the loop responsive throughout.
#include "checkers/io/misc_runner.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <fstream>
#include <thread>
#include <gtest/gtest.h>

#include "checkers/io/log.hpp"
#include "checkers/io/prober.hpp"
#include "checkers/tests/io_util.hpp"

namespace vigil::checkers::io {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::now;
using testing::run_until;

// A MISC_CHECK as conf/ gives it.
std::unique_ptr<conf::MiscCheck> misc(const std::string& command, bool dynamic) {
  auto m = std::make_unique<conf::MiscCheck>();
  m->misc_path.assign(conf::Script{command, "", ""}, {1, 0, 1});
  m->misc_dynamic.assign(dynamic, {1, 0, 1});
  return m;
}

ProbeOutcome probe(const std::string& command, bool dynamic, Duration timeout = 2s) {
  asio::io_context io;
  NullLog log;
  AsioProber prober(io, log);
  const auto m = misc(command, dynamic);
  std::optional<ProbeOutcome> out;
  prober.start(*m, now() + timeout, [&](ProbeOutcome o) { out = std::move(o); });
  EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
  return out.value_or(ProbeOutcome{false, std::nullopt, "no result"});
}

TEST(MiscProbe, ExitZeroIsUp) {
  const auto o = probe("exit 0", false);
  EXPECT_TRUE(o.ok) << o.reason;
  EXPECT_FALSE(o.weight);
}

TEST(MiscProbe, ExitOneIsDown) {
  const auto o = probe("exit 1", true);
  EXPECT_FALSE(o.ok);
  EXPECT_EQ(o.reason, "exited with status 1");
}

TEST(MiscProbe, DynamicExitSevenIsUpWithWeightFive) {
  const auto o = probe("exit 7", true);
  EXPECT_TRUE(o.ok) << o.reason;
  EXPECT_EQ(o.weight, std::optional<long long>(5));
}

TEST(MiscProbe, ExitSevenWithoutMiscDynamicIsDown) {
  const auto o = probe("exit 7", false);
  EXPECT_FALSE(o.ok);
  EXPECT_FALSE(o.weight);
}

TEST(MiscProbe, CommandLineGoesThroughTheShell) {
  EXPECT_TRUE(probe("test \"$((2 + 3))\" = 5 && true", false).ok);
}

// MISC_CHECK `user nobody`, and script_user for a check without one; an unknown user fails
// the check (with the reason) instead of running it as root.
TEST(MiscProbe, RunsAsItsUserOrScriptUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to change user";
  asio::io_context io;
  NullLog log;
  AsioProber prober(io, log);
  auto run = [&](const conf::MiscCheck& m) {
    std::optional<ProbeOutcome> out;
    prober.start(m, now() + 2s, [&](ProbeOutcome o) { out = std::move(o); });
    EXPECT_TRUE(run_until(io, [&] { return out.has_value(); }));
    return out.value_or(ProbeOutcome{false, std::nullopt, "no result"});
  };
  auto as_nobody = misc("test \"$(id -u)\" = 65534", false);
  EXPECT_FALSE(run(*as_nobody).ok);  // vigil's own user (root) without a user
  as_nobody->user.assign(conf::Script{"", "nobody", ""}, {1, 0, 1});
  EXPECT_TRUE(run(*as_nobody).ok);
  auto plain = misc("test \"$(id -u)\" = 1", false);
  prober.set_script_user("daemon", "");
  EXPECT_TRUE(run(*plain).ok);
  auto unknown = misc("exit 0", false);
  unknown->user.assign(conf::Script{"", "no-such-user-vigil", ""}, {1, 0, 1});
  const auto o = run(*unknown);
  EXPECT_FALSE(o.ok);
  EXPECT_NE(o.reason.find("unknown user"), std::string::npos) << o.reason;
}

TEST(MiscRunner, HungScriptIsKilledAtItsDeadlineWhileTheLoopKeepsTurning) {
  asio::io_context io;
  NullLog log;
  AsioProber prober(io, log);
  const auto m = misc("sleep 30", false);

  // A 10 ms periodic timer: the loop must keep firing it while the script hangs.
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

  std::optional<ProbeOutcome> out;
  TimePoint done_at{};
  const TimePoint t = now();
  prober.start(*m, t + 200ms, [&](ProbeOutcome o) {
    out = std::move(o);
    done_at = now();
  });
  ASSERT_TRUE(run_until(io, [&] { return out.has_value(); }));
  tick.cancel();
  EXPECT_FALSE(out->ok);
  EXPECT_EQ(out->reason, "timed out, killed");
  EXPECT_GE(done_at - t, 195ms);
  EXPECT_LT(done_at - t, 1s);
  // ~20 ticks in 200 ms if idle. A loop blocked by the script would show about none and a
  // gap of the whole 200 ms; the bounds leave room for a loaded CI machine.
  EXPECT_GE(ticks.size(), 5u);
  Duration worst{};
  for (std::size_t i = 1; i < ticks.size(); ++i) worst = std::max(worst, ticks[i] - ticks[i - 1]);
  EXPECT_LT(worst, 150ms);
}

// The deadline kills the script's whole process group, not just the shell.
TEST(MiscRunner, TimeoutKillsTheProcessGroup) {
  char dir[] = "/tmp/vigil-misc-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string pidfile = std::string(dir) + "/bg.pid";
  asio::io_context io;
  MiscRunner runner(io);
  std::optional<MiscExit> out;
  runner.run("sleep 30 & echo $! > " + pidfile + "; wait", now() + 300ms, [&](MiscExit e) { out = e; });
  ASSERT_TRUE(run_until(io, [&] { return out.has_value(); }));
  EXPECT_TRUE(out->timed_out);
  EXPECT_FALSE(out->status);
  pid_t bg = 0;
  std::ifstream(pidfile) >> bg;
  ASSERT_GT(bg, 0);
  // Gone, or a zombie waiting for its new parent: either way no longer running.
  bool running = true;
  for (int i = 0; i < 100 && running; ++i) {
    std::ifstream stat("/proc/" + std::to_string(bg) + "/stat");
    std::string pid, comm, state;
    running = static_cast<bool>(stat >> pid >> comm >> state) && state != "Z";
    if (running) std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(running) << "background child " << bg << " survived";
  std::remove(pidfile.c_str());
  ::rmdir(dir);
}

TEST(MiscRunner, CancelKillsAndReapsSilently) {
  asio::io_context io;
  MiscRunner runner(io);
  bool called = false;
  const auto token = runner.run("sleep 30", now() + 10s, [&](MiscExit) { called = true; });
  ASSERT_EQ(runner.running(), 1u);
  runner.cancel(token);
  ASSERT_TRUE(run_until(io, [&] { return runner.running() == 0; }));
  EXPECT_FALSE(called);
}

TEST(MiscRunner, NoDescriptorLeaksIntoTheScript) {
  // fd 3 and up are closed in the child: only 0, 1, 2 (and the shell's own) remain, even
  // a descriptor opened without O_CLOEXEC.
  const int leaky = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaky, 3);
  asio::io_context io;
  MiscRunner runner(io);
  std::optional<MiscExit> out;
  runner.run("for f in /proc/self/fd/*; do n=${f##*/}; [ \"$n\" -le 2 ] || [ \"$n\" = 255 ] || { [ -e \"$f\" ] && exit 9; }; done; exit 0",
             now() + 2s, [&](MiscExit e) { out = e; });
  ASSERT_TRUE(run_until(io, [&] { return out.has_value(); }));
  EXPECT_EQ(out->status, std::optional<int>(0));
  ::close(leaky);
}

}  // namespace
}  // namespace vigil::checkers::io
