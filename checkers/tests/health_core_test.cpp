// Policy scenarios on a manual clock: what the core asks of the IPVS table and the scripts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checkers/core/health_core.hpp"
#include "checkers/tests/core_sim.hpp"

namespace vigil::checkers {
namespace {

using namespace std::chrono_literals;
using namespace testing;  // vigil::checkers::testing
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr RsKey kRs0{0, 0};
constexpr RsKey kRs1{0, 1};

SetRealServer present(RsKey k, long long w) { return {k, true, w}; }
SetRealServer absent(RsKey k) { return {k, false, 0}; }
Notify rs_down(RsKey k) { return {NotifyKind::rs_down, k, std::nullopt}; }
Notify rs_up(RsKey k) { return {NotifyKind::rs_up, k, std::nullopt}; }
Notify quorum(bool up, std::uint32_t v = 0) {
  return {up ? NotifyKind::quorum_up : NotifyKind::quorum_down, {v, 0}, std::nullopt};
}

// The table and notify actions only (no timers or probes), in order.
std::vector<Action> effects(const std::vector<Logged>& log, TimePoint from = TimePoint::min()) {
  std::vector<Action> out;
  for (const auto& l : log)
    if (l.at >= from && !std::holds_alternative<ArmTimer>(l.action) &&
        !std::holds_alternative<StartProbe>(l.action))
      out.push_back(l.action);
  return out;
}

TEST(HealthCore, StartsWithEveryServerPresentAndProbesAtStart) {
  Sim s({vs({server({tcp()}, 2), server({tcp()}, 3)})});
  s.start();
  EXPECT_THAT(effects(s.log), ElementsAre(Action{present(kRs0, 2)}, Action{present(kRs1, 3)}));
  EXPECT_THAT(only<ArmTimer>(s.log), ElementsAre(Pair(t0, ArmTimer{{0, 0, 0}, t0}),
                                                 Pair(t0, ArmTimer{{0, 1, 0}, t0})));
  s.run_until(t0 + 25s);
  // Passing probes change nothing; each checker is probed every delay_loop.
  EXPECT_THAT(effects(s.log, t0 + 1ns), ElementsAre());
  EXPECT_EQ(s.probes.size(), 6u);
}

// retry 2, delay_before_retry 3 s, delay_loop 10 s: the server leaves the table after the
// third failed probe, 6 s after the first failure, and returns at the first passing probe.
TEST(HealthCore, RetryAndDelayBeforeRetryTiming) {
  Sim s({vs({server({tcp(10s, 2, 3s)})})});
  bool dead = false;
  s.respond = [&](CheckerKey, TimePoint) { return Response{!dead}; };
  s.start();
  s.run_until(t0 + 25s);  // passes at 0, 10, 20
  dead = true;
  s.run_until(t0 + 45s);
  std::vector<TimePoint> starts;
  for (const auto& p : s.probes) starts.push_back(p.deadline - 3s);
  EXPECT_THAT(starts, ElementsAre(t0, t0 + 10s, t0 + 20s, t0 + 30s, t0 + 33s, t0 + 36s));
  EXPECT_THAT(only<SetRealServer>(s.log), ElementsAre(Pair(t0, present(kRs0, 1)), Pair(t0 + 36s, absent(kRs0))));
  // The only server: its weight was the quorum (1).
  EXPECT_THAT(only<Notify>(s.log), ElementsAre(Pair(t0 + 36s, rs_down(kRs0)), Pair(t0 + 36s, quorum(false))));
  // Down: no retries; the next probe is a delay_loop after the last one started.
  dead = false;
  s.run_until(t0 + 60s);
  EXPECT_EQ(s.probes.at(6).deadline - 3s, t0 + 46s);
  EXPECT_THAT(only<SetRealServer>(s.log).back(), Pair(t0 + 46s, present(kRs0, 1)));
  EXPECT_THAT(effects(s.log, t0 + 40s),
              ElementsAre(Action{present(kRs0, 1)}, Action{rs_up(kRs0)}, Action{quorum(true)}));
}

TEST(HealthCore, ADeadServerLeavesAtItsFirstProbe) {
  Sim s({vs({server({tcp(10s, 3, 1s)})})});
  s.respond = [](CheckerKey, TimePoint) { return Response{false}; };
  s.start();
  s.run_until(t0 + 1s);
  EXPECT_THAT(only<SetRealServer>(s.log), ElementsAre(Pair(t0, present(kRs0, 1)), Pair(t0, absent(kRs0))));
}

TEST(HealthCore, AProbeThatOutlivesConnectTimeoutFailsAtTheDeadline) {
  Sim s({vs({server({tcp(10s, 0, 1s, 2s)})})});
  s.respond = [](CheckerKey, TimePoint) { return Response{true, std::nullopt, 5s}; };
  s.start();
  s.run_until(t0 + 5s);
  EXPECT_THAT(only<SetRealServer>(s.log), ElementsAre(Pair(t0, present(kRs0, 1)), Pair(t0 + 2s, absent(kRs0))));
}

TEST(HealthCore, AlphaStartsDownUntilTheChecksPass) {
  RsPolicy r = server({tcp()}, 4);
  r.alpha = true;
  r.notify_up = conf::Script{"/bin/up", "", ""};
  Sim s({vs({r})});
  s.respond = [](CheckerKey, TimePoint) { return Response{true, std::nullopt, 100ms}; };
  s.start();
  EXPECT_EQ(effects(s.log).front(), Action{absent(kRs0)});
  EXPECT_FALSE(s.core.alive(kRs0));
  s.run_until(t0 + 1s);
  EXPECT_THAT(only<SetRealServer>(s.log), ElementsAre(Pair(t0, absent(kRs0)), Pair(t0 + 100ms, present(kRs0, 4))));
  // Started below quorum 1 without a sorry server: silent then, quorum_up now.
  EXPECT_THAT(only<Notify>(s.log),
              ElementsAre(Pair(t0 + 100ms, Notify{NotifyKind::rs_up, kRs0, conf::Script{"/bin/up", "", ""}}),
                          Pair(t0 + 100ms, quorum(true))));
}

TEST(HealthCore, AlphaFirstFailureNotifiesDownOnce) {
  RsPolicy r = server({tcp()});
  r.alpha = true;
  Sim s({vs({r})});
  s.respond = [](CheckerKey, TimePoint) { return Response{false}; };
  s.start();
  s.run_until(t0 + 35s);
  EXPECT_THAT(only<SetRealServer>(s.log), ElementsAre(Pair(t0, absent(kRs0))));
  // quorum 1 without a sorry server: starts down silently; the first failure says rs_down.
  EXPECT_THAT(only<Notify>(s.log), ElementsAre(Pair(t0, rs_down(kRs0))));
}

TEST(HealthCore, InhibitOnFailureKeepsTheServerAtWeightZero) {
  RsPolicy r = server({tcp(10s, 0)}, 5);
  r.inhibit_on_failure = true;
  Sim s({vs({r})});
  bool dead = false;
  s.respond = [&](CheckerKey, TimePoint) { return Response{!dead}; };
  s.start();
  s.run_until(t0 + 5s);
  dead = true;
  s.run_until(t0 + 15s);
  dead = false;
  s.run_until(t0 + 25s);
  EXPECT_THAT(only<SetRealServer>(s.log),
              ElementsAre(Pair(t0, present(kRs0, 5)), Pair(t0 + 10s, present(kRs0, 0)),
                          Pair(t0 + 20s, present(kRs0, 5))));
}

TEST(HealthCore, AlphaWithInhibitStartsAtWeightZero) {
  RsPolicy r = server({tcp()}, 5);
  r.inhibit_on_failure = true;
  r.alpha = true;
  Sim s({vs({r})});
  s.start();
  EXPECT_EQ(effects(s.log).front(), Action{present(kRs0, 0)});
}

TEST(HealthCore, MiscDynamicSetsTheWeight) {
  CheckerPolicy m = tcp(10s, 0);
  m.kind = conf::CheckerKind::misc;
  Sim s({vs({server({m}, 1), server({tcp()}, 1)}, /*quorum=*/3)});
  std::vector<Response> answers{{true, 5}, {true, std::nullopt}, {true, 0}, {false, std::nullopt}};
  std::size_t n = 0;
  s.respond = [&](CheckerKey k, TimePoint) { return k.rs == 0 ? answers.at(n++) : Response{}; };
  s.start();  // 1 + 1 < quorum 3: starts below quorum (no sorry server: silently)
  EXPECT_FALSE(s.core.quorum_up(0));
  s.run_until(t0 + 35s);
  EXPECT_THAT(only<SetRealServer>(s.log),
              ElementsAre(Pair(t0, present(kRs0, 1)), Pair(t0, present(kRs1, 1)),
                          Pair(t0, present(kRs0, 5)),     // exit 7: weight 5
                          Pair(t0 + 20s, present(kRs0, 0)),  // exit 2: weight 0, still up
                          Pair(t0 + 30s, absent(kRs0))));    // exit 1: down
  // The weights count toward quorum: 5 + 1 gains it, 0 + 1 loses it.
  EXPECT_THAT(only<Notify>(s.log), ElementsAre(Pair(t0, quorum(true)), Pair(t0 + 20s, quorum(false)),
                                               Pair(t0 + 30s, rs_down(kRs0))));
}

TEST(HealthCore, EveryCheckerMustPass) {
  Sim s({vs({server({tcp(10s, 0), tcp(10s, 0)})})});
  std::map<std::uint32_t, bool> ok{{0, true}, {1, true}};
  s.respond = [&](CheckerKey k, TimePoint) { return Response{ok[k.checker]}; };
  s.start();
  s.run_until(t0 + 5s);
  ok[1] = false;
  s.run_until(t0 + 15s);  // checker 1 fails: the server goes
  ok[0] = false;
  s.run_until(t0 + 25s);  // both fail
  ok[1] = true;
  s.run_until(t0 + 35s);  // checker 1 passes, checker 0 still fails: stays out
  ok[0] = true;
  s.run_until(t0 + 45s);  // both pass: back
  EXPECT_THAT(only<SetRealServer>(s.log),
              ElementsAre(Pair(t0, present(kRs0, 1)), Pair(t0 + 10s, absent(kRs0)),
                          Pair(t0 + 40s, present(kRs0, 1))));
  EXPECT_THAT(only<Notify>(s.log), ElementsAre(Pair(t0 + 10s, rs_down(kRs0)), Pair(t0 + 10s, quorum(false)),
                                               Pair(t0 + 40s, rs_up(kRs0)), Pair(t0 + 40s, quorum(true))));
}

// Four servers of weight 1, quorum 3, hysteresis 1: lost below 2, regained at 4.
TEST(HealthCore, QuorumWithHysteresis) {
  std::vector<RsPolicy> rs(4, server({tcp(10s, 0)}));
  Sim s({vs(rs, 3, 1)});
  int dead = 0;  // servers 0..dead-1 fail
  s.respond = [&](CheckerKey k, TimePoint) { return Response{static_cast<int>(k.rs) >= dead}; };
  s.start();
  EXPECT_TRUE(s.core.quorum_up(0));
  const auto step = [&](int d) {
    dead = d;
    s.run_for(10s);
    return s.core.quorum_up(0);
  };
  s.run_until(t0 + 5s);
  EXPECT_TRUE(step(1));   // 3
  EXPECT_TRUE(step(2));   // 2: not below 3 - 1
  EXPECT_FALSE(step(3));  // 1: lost
  EXPECT_FALSE(step(2));  // 2
  EXPECT_FALSE(step(1));  // 3: not yet 3 + 1
  EXPECT_TRUE(step(0));   // 4: regained
  EXPECT_THAT(only<Notify>(s.log),
              ElementsAre(Pair(t0 + 10s, rs_down({0, 0})), Pair(t0 + 20s, rs_down({0, 1})),
                          Pair(t0 + 30s, rs_down({0, 2})), Pair(t0 + 30s, quorum(false)),
                          Pair(t0 + 40s, rs_up({0, 2})), Pair(t0 + 50s, rs_up({0, 1})),
                          Pair(t0 + 60s, rs_up({0, 0})), Pair(t0 + 60s, quorum(true))));
}

TEST(HealthCore, SorryServerSwappedInWhenQuorumIsLostAndOutWhenItReturns) {
  VsPolicy v = vs({server({tcp(10s, 0)}, 1), server({tcp(10s, 0)}, 1)}, 2, 0, true);
  v.quorum_down = conf::Script{"/bin/qdown", "", ""};
  Sim s({v});
  bool dead = false;
  s.respond = [&](CheckerKey k, TimePoint) { return Response{!(dead && k.rs == 0)}; };
  s.start();
  s.run_until(t0 + 5s);
  dead = true;
  s.run_until(t0 + 15s);
  // rs0 goes; 1 < 2: the alive rs1 leaves too, the sorry server comes in, quorum_down.
  EXPECT_THAT(effects(s.log, t0 + 10s),
              ElementsAre(Action{absent(kRs0)}, Action{rs_down(kRs0)}, Action{absent(kRs1)},
                          Action{SwapSorry{0, true}},
                          Action{Notify{NotifyKind::quorum_down, {0, 0}, conf::Script{"/bin/qdown", "", ""}}}));
  EXPECT_TRUE(s.core.sorry_in(0));
  dead = false;
  s.run_until(t0 + 25s);
  EXPECT_THAT(effects(s.log, t0 + 20s),
              ElementsAre(Action{rs_up(kRs0)}, Action{SwapSorry{0, false}}, Action{present(kRs0, 1)},
                          Action{present(kRs1, 1)}, Action{quorum(true)}));
  EXPECT_FALSE(s.core.sorry_in(0));
}

TEST(HealthCore, SorryServerWhenNoRealServerIsUp) {
  // Default quorum 1: the sorry server stands in once the last server is gone.
  Sim s({vs({server({tcp(10s, 0)})}, 1, 0, true)});
  bool dead = false;
  s.respond = [&](CheckerKey, TimePoint) { return Response{!dead}; };
  s.start();
  s.run_until(t0 + 5s);
  dead = true;
  s.run_until(t0 + 15s);
  EXPECT_THAT(effects(s.log, t0 + 10s),
              ElementsAre(Action{absent(kRs0)}, Action{rs_down(kRs0)}, Action{SwapSorry{0, true}},
                          Action{quorum(false)}));
}

TEST(HealthCore, AlphaWithSorryServerStartsWithTheSorryServerIn) {
  RsPolicy r = server({tcp()});
  r.alpha = true;
  Sim s({vs({r}, 1, 0, true)});
  s.respond = [](CheckerKey, TimePoint) { return Response{true, std::nullopt, 100ms}; };
  s.start();
  EXPECT_THAT(effects(s.log), ElementsAre(Action{absent(kRs0)}, Action{SwapSorry{0, true}}, Action{quorum(false)}));
  s.run_until(t0 + 1s);
  EXPECT_THAT(effects(s.log, t0 + 100ms),
              ElementsAre(Action{rs_up(kRs0)}, Action{SwapSorry{0, false}}, Action{present(kRs0, 1)},
                          Action{quorum(true)}));
}

// Ten servers with one checker each and no warmup: first probes 1 s apart over the 10 s
// delay_loop, and they keep those phases.
TEST(HealthCore, FirstProbesAreSpreadOverTheInterval) {
  CheckerPolicy c = tcp(10s);
  c.warmup.reset();
  std::vector<RsPolicy> rs(10, server({c}));
  Sim s({vs(rs)});
  s.respond = [](CheckerKey, TimePoint) { return Response{true, std::nullopt, 300ms}; };
  s.start();
  const auto arms = only<ArmTimer>(s.log);
  ASSERT_EQ(arms.size(), 10u);
  for (std::uint32_t i = 0; i < 10; ++i) EXPECT_EQ(arms[i].second, (ArmTimer{{0, i, 0}, t0 + i * 1s}));
  s.run_until(t0 + 30s - 1ns);
  ASSERT_EQ(s.probes.size(), 30u);
  for (std::size_t i = 0; i < 30; ++i) EXPECT_EQ(s.probes[i].deadline - 3s, t0 + i * 1s) << i;
}

TEST(HealthCore, WarmupDelaysTheFirstProbeRandomlyWithinBounds) {
  CheckerPolicy c = tcp(60s);
  c.warmup = 5s;
  std::vector<RsPolicy> rs(4, server({c}));
  // 0, the bound, just past the bound (wraps to 0), a large value.
  Sim s({vs(rs)}, fixed_random({0, 5'000'000'000, 5'000'000'001, 0xdeadbeefcafef00d}));
  s.start();
  const auto arms = only<ArmTimer>(s.log);
  ASSERT_EQ(arms.size(), 4u);
  EXPECT_EQ(arms[0].second.at, t0);
  EXPECT_EQ(arms[1].second.at, t0 + 5s);
  EXPECT_EQ(arms[2].second.at, t0);
  for (const auto& [at, a] : arms) {
    EXPECT_GE(a.at, t0);
    EXPECT_LE(a.at, t0 + 5s);
  }
}

TEST(HealthCore, OmegaNotifiesAtShutdown) {
  RsPolicy up = server({tcp()});
  up.omega = true;
  up.notify_down = conf::Script{"/bin/down", "", ""};
  RsPolicy quiet = server({tcp()});  // no omega: nothing at shutdown
  VsPolicy v = vs({up, quiet});
  v.omega = true;
  Sim s({v});
  s.start();
  s.run_until(t0 + 1s);
  s.stop();
  EXPECT_THAT(effects(s.log), ElementsAre(Action{present(kRs0, 1)}, Action{present(kRs1, 1)},
                                          Action{Notify{NotifyKind::rs_down, kRs0, conf::Script{"/bin/down", "", ""}}},
                                          Action{quorum(false)}));
  // Stopped: no more probes.
  const auto n = s.probes.size();
  s.run_until(t0 + 1h);
  EXPECT_EQ(s.probes.size(), n);
}

TEST(HealthCore, WithoutOmegaShutdownIsSilent) {
  Sim s({vs({server({tcp()})})});
  s.start();
  EXPECT_TRUE(s.core.stop(t0).empty());
}

TEST(HealthCore, LateResultsAndEarlyTimersAreIgnored) {
  HealthCore core({vs({server({tcp(10s, 0)})})}, fixed_random({}));
  core.start(t0);
  const auto a = core.step(TimerFired{{0, 0, 0}}, t0);
  const auto probes = only<StartProbe>(a);
  ASSERT_EQ(probes.size(), 1u);
  EXPECT_TRUE(core.step(ProbeResult{{0, 0, 0}, probes[0].probe + 7, false}, t0).empty());
  EXPECT_THAT(only<ArmTimer>(core.step(ProbeResult{{0, 0, 0}, probes[0].probe, true}, t0 + 1s)),
              ElementsAre(ArmTimer{{0, 0, 0}, t0 + 10s}));
  EXPECT_TRUE(core.step(ProbeResult{{0, 0, 0}, probes[0].probe, false}, t0 + 2s).empty());
  EXPECT_TRUE(core.step(TimerFired{{0, 0, 0}}, t0 + 9s).empty());  // early
  EXPECT_EQ(only<StartProbe>(core.step(TimerFired{{0, 0, 0}}, t0 + 10s)).size(), 1u);
}

TEST(HealthCore, PassiveCheckersFollowTheirWatcher) {
  CheckerPolicy f;
  f.kind = conf::CheckerKind::file;
  f.passive = true;
  Sim s({vs({server({f}, 3)})});
  s.start();
  EXPECT_TRUE(only<ArmTimer>(s.log).empty());
  s.log.clear();
  auto a = s.core.step(ProbeResult{{0, 0, 0}, 0, false}, t0);
  EXPECT_EQ(only<SetRealServer>(a), std::vector<SetRealServer>{absent(kRs0)});
  a = s.core.step(ProbeResult{{0, 0, 0}, 0, true, 7}, t0 + 1s);
  EXPECT_EQ(only<SetRealServer>(a), std::vector<SetRealServer>{present(kRs0, 7)});
}

TEST(HealthCore, AServerWithoutCheckersIsAlwaysUp) {
  Sim s({vs({server({}, 2)})});
  s.start();
  EXPECT_THAT(effects(s.log), ElementsAre(Action{present(kRs0, 2)}));
  EXPECT_TRUE(s.core.alive(kRs0));
}

}  // namespace
}  // namespace vigil::checkers
