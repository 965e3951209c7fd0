// keepalived's tracking: weights and FAULT from interfaces, scripts and files (evaluate), the
// vrrp_script runner's rise/fall and scheduling on a manual clock, and an Instance fed the
// verdicts (effective priority, FAULT, waiting for the first script result).
#include <gtest/gtest.h>

#include "vrrpd/io/instance.hpp"
#include "vrrpd/io/tracking.hpp"
#include "vrrpd/tests/io_fakes.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;
using test::ip;

TrackItem iface(std::string n, int w = 0, bool rev = false) { return {TrackKind::interface, std::move(n), w, rev}; }
TrackItem script(std::string n, int w = 0, bool rev = false) { return {TrackKind::script, std::move(n), w, rev}; }
TrackItem file(std::string n, int w = 1, bool rev = false) { return {TrackKind::file, std::move(n), w, rev}; }

TEST(Evaluate, AnInterfaceWithoutWeightFaultsWhileDown) {
  TrackedObjects o;
  const std::vector<TrackItem> items{iface("eth1")};
  EXPECT_TRUE(evaluate(items, o).fault);  // never heard of: down
  o.set_interface("eth1", true);
  EXPECT_EQ(evaluate(items, o), TrackStatus{});
  o.set_interface("eth1", false);
  const auto st = evaluate(items, o);
  EXPECT_TRUE(st.fault);
  EXPECT_EQ(st.fault_reason, "track_interface eth1");
}

TEST(Evaluate, PositiveWeightsAddWhileUpNegativeOnesWhileDown) {
  TrackedObjects o;
  const std::vector<TrackItem> items{iface("eth1", 10), iface("eth2", -20), script("chk", 5),
                                     script("chk2", -30)};
  o.set_interface("eth1", true);
  o.set_interface("eth2", true);
  o.set_script("chk", ScriptState::good);
  o.set_script("chk2", ScriptState::good);
  EXPECT_EQ(evaluate(items, o).delta, 15);
  o.set_interface("eth2", false);
  o.set_script("chk2", ScriptState::bad);
  EXPECT_EQ(evaluate(items, o).delta, 10 + 5 - 20 - 30);
  EXPECT_FALSE(evaluate(items, o).fault);
}

TEST(Evaluate, ReverseSwapsUpAndDown) {
  TrackedObjects o;
  o.set_script("chk", ScriptState::good);
  EXPECT_EQ(evaluate({script("chk", -10, true)}, o).delta, -10);
  EXPECT_TRUE(evaluate({script("chk", 0, true)}, o).fault);
  o.set_script("chk", ScriptState::bad);
  EXPECT_EQ(evaluate({script("chk", -10, true)}, o).delta, 0);
}

TEST(Evaluate, AScriptWithoutResultHoldsTheStartOnlyWithoutWeight) {
  TrackedObjects o;
  EXPECT_TRUE(evaluate({script("chk")}, o).pending);
  EXPECT_FALSE(evaluate({script("chk")}, o).fault);
  EXPECT_EQ(evaluate({script("chk", -10)}, o), TrackStatus{});  // no weight until a result
  o.set_script("chk", ScriptState::bad);
  EXPECT_TRUE(evaluate({script("chk")}, o).fault);
  EXPECT_FALSE(evaluate({script("chk")}, o).pending);
}

TEST(Evaluate, AFileContributesItsValueTimesTheWeight) {
  TrackedObjects o;
  EXPECT_EQ(evaluate({file("f", 5)}, o).delta, 0);
  o.set_file("f", -3);
  EXPECT_EQ(evaluate({file("f", 5)}, o).delta, -15);
  EXPECT_EQ(evaluate({file("f", 5, true)}, o).delta, 15);
  o.set_file("f", -254);
  EXPECT_TRUE(evaluate({file("f", 1)}, o).fault);  // keepalived: <= -254 means FAULT
  o.set_file("f", 2);
  EXPECT_TRUE(evaluate({file("f", 0)}, o).fault);  // weight 0: any non-zero value
  o.set_file("f", 0);
  EXPECT_FALSE(evaluate({file("f", 0)}, o).fault);
}

TEST(Evaluate, EffectivePriorityIsClampedAndTheOwnerKeeps255) {
  EXPECT_EQ(effective_priority(100, -150), 1);
  EXPECT_EQ(effective_priority(100, 200), 254);
  EXPECT_EQ(effective_priority(100, -20), 80);
  EXPECT_EQ(effective_priority(255, -100), 255);
}

TEST(TrackFile, TheFirstIntegerOrZero) {
  EXPECT_EQ(parse_track_file("42\n"), 42);
  EXPECT_EQ(parse_track_file("  -7 apples"), -7);
  EXPECT_EQ(parse_track_file("+3"), 3);
  EXPECT_EQ(parse_track_file(""), 0);
  EXPECT_EQ(parse_track_file("x"), 0);
}

class ScriptTrackerTest : public ::testing::Test {
 protected:
  test::ManualTimers timers;
  test::FakeScripts runner;
  test::RecordingLog log;
  std::vector<ScriptState> changes;
  std::unique_ptr<ScriptTracker> make(int rise = 1, int fall = 1, bool init_fail = false) {
    ScriptSpec s{"chk", {"/bin/chk"}, 1s, 500ms, rise, fall, init_fail};
    return std::make_unique<ScriptTracker>(s, runner, timers, log,
                                           [this](const std::string&, ScriptState st) { changes.push_back(st); });
  }
};

TEST_F(ScriptTrackerTest, RunsEveryIntervalAndTheFirstResultDecides) {
  auto t = make(2, 2);
  t->start();
  EXPECT_EQ(runner.runs.size(), 1u);
  ASSERT_TRUE(runner.finish(0));
  EXPECT_EQ(t->state(), ScriptState::good);  // from INIT one success is enough
  timers.advance(1s);
  EXPECT_EQ(runner.runs.size(), 2u);
  runner.finish(1);
  EXPECT_EQ(t->state(), ScriptState::good);  // fall 2: one failure is not enough
  timers.advance(1s);
  runner.finish(1);
  EXPECT_EQ(t->state(), ScriptState::bad);
  timers.advance(1s);
  runner.finish(0);
  EXPECT_EQ(t->state(), ScriptState::bad);  // rise 2
  timers.advance(1s);
  runner.finish(0);
  EXPECT_EQ(t->state(), ScriptState::good);
  EXPECT_EQ(changes, (std::vector{ScriptState::good, ScriptState::bad, ScriptState::good}));
  EXPECT_TRUE(log.contains("VRRP_Script(chk) failed (exited with status 1)"));
}

TEST_F(ScriptTrackerTest, AFirstFailureIsBadAtOnceAndInitFailStartsBad) {
  auto t = make(3, 3);
  t->start();
  runner.finish(2);
  EXPECT_EQ(t->state(), ScriptState::bad);
  t->stop();
  auto u = make(2, 1, true);
  EXPECT_EQ(u->state(), ScriptState::bad);
  u->start();
  runner.finish(0);
  EXPECT_EQ(u->state(), ScriptState::bad);
  timers.advance(1s);
  runner.finish(0);
  EXPECT_EQ(u->state(), ScriptState::good);
}

TEST_F(ScriptTrackerTest, NeverTwoRunsAtOnce) {
  auto t = make();
  t->start();
  timers.advance(3500ms);  // the first still running
  EXPECT_EQ(runner.runs.size(), 1u);
  runner.finish(0);  // late: the next one starts at once
  EXPECT_EQ(runner.runs.size(), 2u);
  EXPECT_EQ(t->state(), ScriptState::good);
}

TEST_F(ScriptTrackerTest, ATimeoutIsAFailureAndStopEndsTheRuns) {
  auto t = make();
  t->start();
  auto done = std::move(runner.pending.front());
  runner.pending.clear();
  done(ScriptExit{ScriptExit::How::timed_out, 9});
  EXPECT_EQ(t->state(), ScriptState::bad);
  t->stop();
  timers.advance(5s);
  EXPECT_EQ(runner.runs.size(), 1u);
}

// ---- an Instance fed tracking verdicts ----

InstanceConfig config(std::uint8_t priority = 100) {
  InstanceConfig c;
  c.name = "VI_1";
  c.interface = "eth0";
  c.ifindex = 3;
  c.router.vrid = 51;
  c.router.priority = priority;
  c.router.advertisement_interval = Centiseconds{10};
  c.router.primary_address = ip("192.0.2.11");
  c.router.addresses = {ip("192.0.2.100")};
  c.destinations = {ip("224.0.0.18")};
  Vip v;
  v.address = *Prefix::parse("192.0.2.100/24");
  v.ifindex = 3;
  v.dev = "eth0";
  c.vips = {v};
  c.garp = {.delay = 1s, .repeat = 1, .interval = 10ms};
  return c;
}

class TrackedInstanceTest : public ::testing::Test {
 protected:
  test::ManualTimers timers;
  test::FakeTransport tx{timers};
  test::FakeVips vips;
  test::FakeArp arp{timers};
  test::FakeScripts scripts;
  test::RecordingLog log;
  std::unique_ptr<Instance> make(InstanceConfig c = config()) {
    return std::make_unique<Instance>(std::move(c), Instance::Ports{&tx, vips, arp, scripts, timers, log});
  }
  std::uint8_t last_sent_priority() {
    const auto& s = tx.sent.back();
    auto a = decode_advert(s.bytes, {s.src, s.dst});
    return a ? a->priority : 0;
  }
};

TEST_F(TrackedInstanceTest, AWeightZeroScriptWithoutResultHoldsTheStart) {
  auto i = make();
  i->set_tracking({.pending = true});
  i->start(true);
  EXPECT_EQ(i->state(), State::initialize);
  EXPECT_TRUE(log.contains("waiting for the first result"));
  i->set_tracking({});
  EXPECT_EQ(i->state(), State::backup);
}

TEST_F(TrackedInstanceTest, AFaultOfATrackedObjectReleasesTheVipAndClearsBackToBackup) {
  auto i = make();
  i->start(true);
  timers.advance(1s);
  ASSERT_EQ(i->state(), State::master);
  i->set_tracking({.fault = true, .fault_reason = "track_script chk"});
  EXPECT_EQ(i->state(), State::fault);
  EXPECT_FALSE(vips.has("192.0.2.100/24"));
  EXPECT_EQ(last_sent_priority(), 0);
  EXPECT_TRUE(log.contains("(VI_1) tracked track_script chk is down"));
  EXPECT_TRUE(i->own_fault());
  i->set_tracking({});
  EXPECT_EQ(i->state(), State::backup);
}

TEST_F(TrackedInstanceTest, WeightsChangeTheAdvertisedPriority) {
  auto i = make();
  i->start(true);
  timers.advance(1s);
  ASSERT_EQ(i->state(), State::master);
  i->set_tracking({.delta = -30});
  EXPECT_EQ(i->router().priority(), 70);
  EXPECT_EQ(last_sent_priority(), 70);  // at once, not at the next Adver_Timer
  EXPECT_TRUE(log.contains("effective priority 100 -> 70"));
}

TEST_F(TrackedInstanceTest, LinkAndTrackingFaultsAreOneLevel) {
  auto i = make();
  i->start(true);
  i->set_link(false);
  i->set_tracking({.fault = true, .fault_reason = "track_interface eth1"});
  i->set_link(true);
  EXPECT_EQ(i->state(), State::fault);  // still a tracked object down
  i->set_tracking({});
  EXPECT_EQ(i->state(), State::backup);
}

TEST_F(TrackedInstanceTest, ADeletedVipIsRestoredOnlyByAMaster) {
  auto i = make();
  i->start(true);
  const Vip v = i->config().vips.front();
  EXPECT_FALSE(i->restore(v));  // Backup: not ours to hold
  timers.advance(1s);
  ASSERT_EQ(i->state(), State::master);
  vips.installed.clear();  // deleted by hand
  const auto announced = arp.sent.size();
  EXPECT_TRUE(i->restore(v));
  EXPECT_TRUE(vips.has("192.0.2.100/24"));
  EXPECT_GT(arp.sent.size(), announced);  // and announced again
  EXPECT_TRUE(log.contains("restored address 192.0.2.100/24 dev eth0"));
}

TEST_F(TrackedInstanceTest, AnInstanceWithoutItsInterfaceIsReboundWhenItAppears) {
  auto c = config();
  c.ifindex = 0;
  auto i = make(c);
  i->start(false);
  ASSERT_EQ(i->state(), State::fault);
  auto fresh = config();
  fresh.ifindex = 7;
  EXPECT_TRUE(i->rebind(fresh, true));
  EXPECT_EQ(i->config().ifindex, 7);
  EXPECT_EQ(i->state(), State::backup);
  timers.advance(1s);
  EXPECT_EQ(i->state(), State::master);
  EXPECT_FALSE(i->rebind(fresh, true));  // running: not now
}

}  // namespace
}  // namespace vigil::vrrp::io
