// One checker's cadence, the first-probe offsets, the MISC_CHECK exit mapping and the
// policy read from a keepalived.conf.
#include <gtest/gtest.h>

#include <limits>

#include "checkers/core/misc_exit.hpp"
#include "checkers/core/policy.hpp"
#include "checkers/core/schedule.hpp"
#include "checkers/tests/core_sim.hpp"
#include "conf/load.hpp"
#include "conf/source.hpp"

namespace vigil::checkers {
namespace {

using namespace std::chrono_literals;
using testing::t0;
using testing::tcp;

TEST(SpreadOffset, EvenOverTheWindow) {
  EXPECT_EQ(spread_offset(0, 4, 4s), 0s);
  EXPECT_EQ(spread_offset(1, 4, 4s), 1s);
  EXPECT_EQ(spread_offset(3, 4, 4s), 3s);
  EXPECT_EQ(spread_offset(0, 1, 60s), 0s);
  EXPECT_EQ(spread_offset(2, 3, 1s), Duration(666'666'666));
  // 10,000 checkers over an hour: exact, no overflow of index * window.
  EXPECT_EQ(spread_offset(9'999, 10'000, 3600s), Duration(3'599'640'000'000));
}

TEST(WarmupOffset, WithinZeroAndWarmupInclusive) {
  EXPECT_EQ(warmup_offset(0s, 12345), 0s);
  EXPECT_EQ(warmup_offset(10s, 0), 0s);
  EXPECT_EQ(warmup_offset(10s, 10'000'000'000), 10s);  // the bound itself is reachable
  EXPECT_EQ(warmup_offset(10s, 10'000'000'001), 0s);
  for (std::uint64_t r : {std::uint64_t{1}, std::uint64_t{987654321987}, std::numeric_limits<std::uint64_t>::max()}) {
    const Duration d = warmup_offset(10s, r);
    EXPECT_GE(d, 0s);
    EXPECT_LE(d, 10s);
  }
}

TEST(CheckerSchedule, FirstProbeIsNotRetried) {
  const CheckerPolicy p = tcp(10s, 3, 1s);
  CheckerSchedule c(p, false);
  ASSERT_EQ(c.start(t0, 2s), t0 + 2s);
  EXPECT_FALSE(c.on_timer(t0 + 1s));  // early
  const auto probe = c.on_timer(t0 + 2s);
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->deadline, t0 + 2s + p.timeout);
  EXPECT_FALSE(c.on_timer(t0 + 2s));  // already in flight
  const auto o = c.on_result(probe->id, false, t0 + 2s);
  ASSERT_TRUE(o);
  EXPECT_TRUE(o->changed);
  EXPECT_FALSE(c.up());
  EXPECT_EQ(o->next, t0 + 12s);  // paced from the probe's start
}

TEST(CheckerSchedule, ALateLoopKeepsThePhaseAndSkipsMissedRounds) {
  const CheckerPolicy p = tcp(10s, 3, 1s);
  CheckerSchedule c(p, false);
  ASSERT_EQ(c.start(t0, 2s), t0 + 2s);
  // The loop gets to the expiry 300 ms late: the next probe is still due at t0 + 12s, so
  // checkers that were late together do not stay bunched.
  auto probe = c.on_timer(t0 + 2s + 300ms);
  ASSERT_TRUE(probe);
  EXPECT_EQ(probe->deadline, t0 + 2s + 300ms + p.timeout);  // the deadline runs from the start
  auto o = c.on_result(probe->id, true, t0 + 2s + 310ms);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->next, t0 + 12s);
  // A probe that outlives two rounds: the next one is the first round still ahead.
  probe = c.on_timer(t0 + 12s);
  ASSERT_TRUE(probe);
  o = c.on_result(probe->id, true, t0 + 33s);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->next, t0 + 42s);
}

TEST(CheckerSchedule, RetriesOnlyWhileUp) {
  const CheckerPolicy p = tcp(10s, 2, 3s);
  CheckerSchedule c(p, false);
  c.start(t0, 0s);
  auto pr = c.on_timer(t0);
  ASSERT_TRUE(c.on_result(pr->id, true, t0 + 1s));
  // Up: two retries, each 3 s after the failure, then down.
  pr = c.on_timer(t0 + 10s);
  auto o = c.on_result(pr->id, false, t0 + 10s);
  EXPECT_FALSE(o->changed);
  EXPECT_EQ(o->next, t0 + 13s);
  pr = c.on_timer(t0 + 13s);
  o = c.on_result(pr->id, false, t0 + 14s);
  EXPECT_EQ(o->next, t0 + 17s);
  pr = c.on_timer(t0 + 17s);
  o = c.on_result(pr->id, false, t0 + 17s);
  EXPECT_TRUE(o->changed);
  EXPECT_FALSE(c.up());
  EXPECT_EQ(o->next, t0 + 27s);
  // Down: a failure is not retried.
  pr = c.on_timer(t0 + 27s);
  o = c.on_result(pr->id, false, t0 + 27s);
  EXPECT_FALSE(o->changed);
  EXPECT_EQ(o->next, t0 + 37s);
}

TEST(CheckerSchedule, StaleAndDuplicateResultsAreIgnored) {
  const CheckerPolicy p = tcp();
  CheckerSchedule c(p, false);
  c.start(t0, 0s);
  const auto pr = c.on_timer(t0);
  EXPECT_FALSE(c.on_result(pr->id + 1, false, t0));
  EXPECT_TRUE(c.on_result(pr->id, true, t0));
  EXPECT_FALSE(c.on_result(pr->id, false, t0));
  c.stop();
  EXPECT_FALSE(c.on_timer(t0 + 1h));
}

TEST(CheckerSchedule, AlphaFirstFailureConfirmsDown) {
  const CheckerPolicy p = tcp();
  CheckerSchedule c(p, true);
  EXPECT_FALSE(c.up());
  c.start(t0, 0s);
  const auto pr = c.on_timer(t0);
  const auto o = c.on_result(pr->id, false, t0);
  EXPECT_FALSE(o->changed);
  EXPECT_TRUE(o->confirmed_down);
}

TEST(MiscVerdict, KeepalivedMapping) {
  EXPECT_EQ(misc_verdict(0, false), (MiscVerdict{true, std::nullopt}));
  EXPECT_EQ(misc_verdict(1, false), (MiscVerdict{false, std::nullopt}));
  EXPECT_EQ(misc_verdict(7, false), (MiscVerdict{false, std::nullopt}));
  EXPECT_EQ(misc_verdict(0, true), (MiscVerdict{true, std::nullopt}));
  EXPECT_EQ(misc_verdict(1, true), (MiscVerdict{false, std::nullopt}));
  EXPECT_EQ(misc_verdict(2, true), (MiscVerdict{true, 0}));
  EXPECT_EQ(misc_verdict(7, true), (MiscVerdict{true, 5}));
  EXPECT_EQ(misc_verdict(255, true), (MiscVerdict{true, 253}));
  EXPECT_EQ(misc_verdict(std::nullopt, true), (MiscVerdict{false, std::nullopt}));
}

TEST(PolicyFromConfig, InheritedValuesAndKeepalivedDefaults) {
  conf::MemorySource src;
  src.add("/k.conf", R"(
virtual_server 10.0.0.1 80 {
  delay_loop 6
  quorum 2
  hysteresis 1
  alpha
  sorry_server 10.0.0.9 80
  quorum_down "/bin/qdown"
  real_server 10.0.0.2 80 {
    weight 3
    inhibit_on_failure
    notify_down "/bin/down x"
    TCP_CHECK {
      connect_timeout 2
      retry 4
      delay_before_retry 2
    }
    MISC_CHECK {
      misc_path "/bin/check"
      misc_dynamic
      warmup 5
    }
  }
}
)");
  conf::LoadOptions o;
  o.config_id = "h";
  const auto r = conf::load("/k.conf", src, o);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format_all();
  const auto p = policy_from_config(*r.config);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].quorum, 2);
  EXPECT_EQ(p[0].hysteresis, 1);
  EXPECT_TRUE(p[0].has_sorry_server);
  ASSERT_TRUE(p[0].quorum_down);
  EXPECT_EQ(p[0].quorum_down->command, "/bin/qdown");
  EXPECT_FALSE(p[0].quorum_up);
  const RsPolicy& rs = p[0].servers.at(0);
  EXPECT_EQ(rs.weight, 3);
  EXPECT_TRUE(rs.inhibit_on_failure);
  EXPECT_TRUE(rs.alpha);  // inherited from the virtual server
  ASSERT_TRUE(rs.notify_down);
  EXPECT_EQ(rs.notify_down->command, "/bin/down x");
  ASSERT_EQ(rs.checkers.size(), 2u);
  const CheckerPolicy& t = rs.checkers[0];
  EXPECT_EQ(t.delay_loop, 6s);
  EXPECT_EQ(t.timeout, 2s);
  EXPECT_EQ(t.retry, 4);
  EXPECT_EQ(t.delay_before_retry, 2s);
  EXPECT_FALSE(t.warmup);
  const CheckerPolicy& m = rs.checkers[1];
  EXPECT_EQ(m.kind, conf::CheckerKind::misc);
  EXPECT_EQ(m.retry, 0);           // MISC_CHECK's own default
  EXPECT_EQ(m.timeout, 6s);        // misc_timeout defaults to delay_loop
  EXPECT_EQ(m.warmup, std::optional<Duration>(5s));
}

}  // namespace
}  // namespace vigil::checkers
