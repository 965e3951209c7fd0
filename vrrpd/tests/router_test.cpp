// The Router on a manual clock: each RFC 5798 §6 rule (and keepalived's additions) as a
// scenario, timers fired by hand, exact action sequences compared.
#include "vrrpd/proto/router.hpp"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp {
namespace {

using namespace std::chrono_literals;
using test::ip;
using ::testing::IsEmpty;

constexpr Centiseconds cs(std::int64_t n) { return Centiseconds{n}; }

// v3, VRID 51, priority 100, 1 s: Skew_Time = (156 * 100) / 256 = 60 cs,
// Master_Down_Interval = 300 + 60 = 360 cs.
RouterConfig config(RouterConfig c = {}) {
  if (c.vrid == 0) c.vrid = 51;
  if (c.addresses.empty()) c.addresses = {ip("10.0.0.100")};
  if (c.primary_address.is_unspecified()) c.primary_address = ip("10.0.0.2");
  return c;
}

AdvertReceived from(std::uint8_t priority, std::string_view src = "10.0.0.3",
                    Centiseconds interval = cs(100), Version v = Version::v3) {
  return {Advert{.version = v, .vrid = 51, .priority = priority, .max_adver_int = interval,
                 .addresses = {ip("10.0.0.100")}},
          ip(src)};
}

class RouterTest : public ::testing::Test {
 protected:
  Actions step(Router& r, const Input& in) { return r.step(in, clock.now()); }
  TimePoint at(Duration d) const { return t0 + d; }
  // Starts a router and lets its Master_Down_Timer fire: by default a Master at t0 + 3.6 s.
  Router master(RouterConfig c = config()) {
    Router r{std::move(c)};
    step(r, Startup{});
    if (r.state() == State::master) return r;  // the owner
    clock.set(*r.deadline(TimerId::master_down));
    step(r, MasterDownTimerExpired{});
    return r;
  }

  const TimePoint t0{std::chrono::seconds{1000}};
  ManualClock clock{t0};
};

// ---- derived parameters, RFC 5798 §6.1 / RFC 3768 §6.1 ----

TEST(RouterParams, SkewTimeAndMasterDownIntervalV3) {
  Router r{config()};
  EXPECT_EQ(r.master_adver_interval(), cs(100));
  EXPECT_EQ(r.skew_time(), cs(60));
  EXPECT_EQ(r.master_down_interval(), cs(360));
  Router fast{config({.priority = 254, .advertisement_interval = cs(1)})};
  EXPECT_EQ(fast.skew_time(), cs(0));  // (2 * 1) / 256 truncates to 0
  EXPECT_EQ(fast.master_down_interval(), cs(3));
  Router slow{config({.priority = 1, .advertisement_interval = cs(4095)})};
  EXPECT_EQ(slow.skew_time(), cs(4079));  // 255 * 4095 / 256 = 4079.004
  EXPECT_EQ(slow.master_down_interval(), cs(3 * 4095 + 4079));
}

TEST(RouterParams, SkewTimeV2IsAFractionOfASecond) {
  Router r{config({.version = Version::v2, .priority = 100, .advertisement_interval = cs(100)})};
  EXPECT_EQ(r.skew_time(), 609'375'000ns);  // 156 / 256 s
  EXPECT_EQ(r.master_down_interval(), 3s + 609'375'000ns);
}

TEST(RouterParams, ConstructorRejectsWhatConfShouldHave) {
  EXPECT_THROW(Router{RouterConfig{}}, std::invalid_argument);  // vrid 0
  EXPECT_THROW(Router{config({.priority = 0})}, std::invalid_argument);
  EXPECT_THROW(Router{config({.advertisement_interval = cs(4096)})}, std::invalid_argument);
  EXPECT_THROW(Router{config({.version = Version::v2, .advertisement_interval = cs(150)})},
               std::invalid_argument);
  EXPECT_THROW(Router{config({.version = Version::v2, .primary_address = ip("fe80::1"),
                              .addresses = {ip("fe80::10")}})},
               std::invalid_argument);
  EXPECT_THROW(Router{config({.addresses = {ip("fe80::10")}})}, std::invalid_argument);
  EXPECT_THROW(Router{config({.auth = {AuthType::ah, {}}})}, std::invalid_argument);
}

TEST(RouterParams, AdvertCarriesConfiguration) {
  Router r3{config()};
  EXPECT_EQ(r3.advert(100), (Advert{.vrid = 51, .priority = 100, .max_adver_int = cs(100),
                                    .addresses = {ip("10.0.0.100")}}));
  AuthData pw{std::byte{'p'}, std::byte{'w'}};
  Router r2{config({.version = Version::v2, .advertisement_interval = cs(200),
                    .auth = {AuthType::pass, pw}})};
  const Advert a = r2.advert(0);
  EXPECT_EQ(a.version, Version::v2);
  EXPECT_EQ(a.priority, 0);
  EXPECT_EQ(a.max_adver_int, cs(200));
  EXPECT_EQ(a.auth_type, AuthType::pass);
  EXPECT_EQ(a.auth_data, pw);
}

// ---- §6.4.1 Initialize ----

TEST_F(RouterTest, StartupGoesBackupAndArmsMasterDown) {
  Router r{config()};
  EXPECT_EQ(step(r, Startup{}),
            (Actions{StateChanged{State::initialize, State::backup, Reason::startup},
                     ArmTimer{TimerId::master_down, at(cs(360))}}));
  EXPECT_EQ(r.state(), State::backup);
  EXPECT_THAT(step(r, Startup{}), IsEmpty());  // only from Initialize
}

TEST_F(RouterTest, OwnerGoesStraightToMaster) {
  Router r{config({.priority = 255})};
  EXPECT_EQ(step(r, Startup{}),
            (Actions{StateChanged{State::initialize, State::master, Reason::startup_owner},
                     AddVips{.accept = true}, SendAdvert{255}, SendGratuitous{},
                     ArmTimer{TimerId::adver, at(1s)}}));
}

TEST_F(RouterTest, InitializeIgnoresEverythingButStartup) {
  Router r{config()};
  EXPECT_THAT(step(r, from(200)), IsEmpty());
  EXPECT_THAT(step(r, MasterDownTimerExpired{}), IsEmpty());
  EXPECT_THAT(step(r, AdverTimerExpired{}), IsEmpty());
  EXPECT_THAT(step(r, Shutdown{}), IsEmpty());
  EXPECT_EQ(r.state(), State::initialize);
}

// ---- §6.4.2 Backup ----

TEST_F(RouterTest, BackupTakesOverWhenMasterFallsSilent) {
  Router r{config()};
  step(r, Startup{});
  clock.advance(cs(360));
  EXPECT_EQ(step(r, MasterDownTimerExpired{}),
            (Actions{StateChanged{State::backup, State::master, Reason::master_down_timer},
                     AddVips{.accept = false}, SendAdvert{100}, SendGratuitous{},
                     ArmTimer{TimerId::adver, at(cs(460))}}));
}

TEST_F(RouterTest, StaleMasterDownExpiryIsIgnored) {
  Router r{config()};
  step(r, Startup{});
  clock.advance(1s);
  step(r, from(200));  // re-armed to t0 + 1 s + 3.6 s
  clock.set(at(cs(360)));
  EXPECT_THAT(step(r, MasterDownTimerExpired{}), IsEmpty());
  EXPECT_EQ(r.state(), State::backup);
  clock.set(at(cs(460)));
  EXPECT_FALSE(step(r, MasterDownTimerExpired{}).empty());
  EXPECT_EQ(r.state(), State::master);
}

TEST_F(RouterTest, BackupLearnsMasterAdverIntervalAndResetsMasterDown) {
  Router r{config()};
  step(r, Startup{});
  clock.advance(1s);
  // 50 cs learned: Skew_Time = 156 * 50 / 256 = 30 cs, Master_Down_Interval = 180 cs.
  EXPECT_EQ(step(r, from(200, "10.0.0.3", cs(50))),
            (Actions{ArmTimer{TimerId::master_down, at(1s + cs(180))}}));
  EXPECT_EQ(r.master_adver_interval(), cs(50));
  EXPECT_EQ(r.master_down_interval(), cs(180));
}

TEST_F(RouterTest, BackupArmsSkewTimeOnPriorityZero) {
  Router r{config()};
  step(r, Startup{});
  clock.advance(1s);
  EXPECT_EQ(step(r, from(0)), (Actions{ArmTimer{TimerId::master_down, at(1s + cs(60))}}));
  clock.advance(cs(60));
  step(r, MasterDownTimerExpired{});
  EXPECT_EQ(r.state(), State::master);
}

TEST_F(RouterTest, BackupAcceptsEqualPriority) {
  Router r{config()};
  step(r, Startup{});
  EXPECT_EQ(step(r, from(100, "10.0.0.1")),
            (Actions{ArmTimer{TimerId::master_down, at(cs(360))}}));
}

TEST_F(RouterTest, PreemptingBackupDiscardsLowerPriorityAndTakesOver) {
  Router r{config()};
  step(r, Startup{});
  clock.advance(1s);
  EXPECT_THAT(step(r, from(50)), IsEmpty());
  clock.set(at(cs(360)));
  step(r, MasterDownTimerExpired{});
  EXPECT_EQ(r.state(), State::master);
}

TEST_F(RouterTest, NopreemptAcceptsLowerPriority) {
  Router r{config({.preempt = false})};
  step(r, Startup{});
  clock.advance(1s);
  EXPECT_EQ(step(r, from(50)), (Actions{ArmTimer{TimerId::master_down, at(cs(460))}}));
}

TEST_F(RouterTest, OwnerAlwaysPreemptsEvenWithNopreempt) {
  Router r = master(config({.priority = 255, .preempt = false}));
  step(r, from(255, "10.0.0.9"));  // an owner conflict: the higher address wins
  ASSERT_EQ(r.state(), State::backup);
  EXPECT_THAT(step(r, from(100)), IsEmpty());  // §6.1: the owner always preempts
}

// ---- keepalived preempt_delay ----

TEST_F(RouterTest, PreemptDelayToleratesALowerMasterThenPreempts) {
  Router r{config({.preempt_delay = 10s})};
  EXPECT_EQ(step(r, Startup{}),
            (Actions{StateChanged{State::initialize, State::backup, Reason::startup},
                     ArmTimer{TimerId::master_down, at(cs(360))},
                     ArmTimer{TimerId::preempt_delay, at(10s)}}));
  for (int i = 1; i < 10; ++i) {
    clock.set(at(std::chrono::seconds{i}));
    EXPECT_EQ(step(r, from(50)),
              (Actions{ArmTimer{TimerId::master_down, clock.now() + cs(360)}}));
  }
  clock.set(at(10s));
  const auto actions = step(r, PreemptDelayExpired{});
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions.front(),
            (Action{StateChanged{State::backup, State::master, Reason::preempt_delay}}));
  EXPECT_EQ(r.state(), State::master);
}

TEST_F(RouterTest, PreemptDelayStopsForABetterMasterAndRestartsForALowerOne) {
  Router r{config({.preempt_delay = 10s})};
  step(r, Startup{});
  clock.advance(1s);
  EXPECT_EQ(step(r, from(200)), (Actions{CancelTimer{TimerId::preempt_delay},
                                         ArmTimer{TimerId::master_down, at(cs(460))}}));
  clock.advance(1s);
  EXPECT_EQ(step(r, from(50)), (Actions{ArmTimer{TimerId::preempt_delay, at(12s)},
                                        ArmTimer{TimerId::master_down, at(cs(560))}}));
}

TEST_F(RouterTest, PreemptDelayElapsedWithoutAMasterMeansPreemptAtOnce) {
  Router r{config({.preempt_delay = 2s})};
  step(r, Startup{});
  clock.advance(2s);
  EXPECT_THAT(step(r, PreemptDelayExpired{}), IsEmpty());  // nobody to preempt
  EXPECT_EQ(r.state(), State::backup);
  EXPECT_THAT(step(r, from(50)), IsEmpty());  // elapsed: discard, like plain preempt
}

TEST_F(RouterTest, NopreemptIgnoresPreemptDelay) {
  Router r{config({.preempt = false, .preempt_delay = 10s})};
  EXPECT_EQ(step(r, Startup{}).size(), 2u);  // no preempt_delay timer
  EXPECT_FALSE(r.deadline(TimerId::preempt_delay));
}

// ---- §6.4.3 Master ----

TEST_F(RouterTest, MasterAdvertisesOnAdverTimer) {
  Router r = master();
  clock.advance(1s);
  EXPECT_EQ(step(r, AdverTimerExpired{}),
            (Actions{SendAdvert{100}, ArmTimer{TimerId::adver, clock.now() + 1s}}));
  EXPECT_THAT(step(r, AdverTimerExpired{}), IsEmpty());  // already re-armed: stale
}

TEST_F(RouterTest, AdverTimerIsAlignedDownToAHundredthOfTheInterval) {
  Router r = master();
  clock.advance(1s + 3700us);  // the timer fired late, off the 10 ms grid
  const auto late = clock.now();
  EXPECT_EQ(step(r, AdverTimerExpired{}),
            (Actions{SendAdvert{100}, ArmTimer{TimerId::adver, late - 3700us + 1s}}));
  // Never late; at most 1% early; and fast intervals get a fine grid (10 ms -> 100 us).
  Router fast = master(config({.vrid = 52, .advertisement_interval = cs(1)}));
  clock.advance(10ms + 57us);
  const auto now = clock.now();
  const auto actions = step(fast, AdverTimerExpired{});
  ASSERT_EQ(actions.size(), 2u);
  const auto at = std::get<ArmTimer>(actions[1]).at;
  EXPECT_LE(at, now + 10ms);
  EXPECT_GT(at, now + 9900us);
  EXPECT_EQ(at.time_since_epoch() % 100us, Duration::zero());
}

// Routers that became Master 0-90 ms apart share their first Adver_Timer (a tenth of the
// interval: at most 10% early, once), and keep that phase.
TEST_F(RouterTest, NewMastersShareTheirFirstAdverTimer) {
  std::vector<TimePoint> firsts;
  for (int k = 0; k < 10; ++k) {
    Router r{config()};
    clock.set(t0 + 7ms + k * 9ms);
    step(r, Startup{});
    clock.set(*r.deadline(TimerId::master_down));
    const auto now = clock.now();
    step(r, MasterDownTimerExpired{});
    ASSERT_EQ(r.state(), State::master);
    const auto first = *r.deadline(TimerId::adver);
    EXPECT_LE(first, now + 1s);
    EXPECT_GT(first, now + 900ms);
    firsts.push_back(first);
    clock.set(first + 2ms);  // a late firing keeps the phase
    step(r, AdverTimerExpired{});
    EXPECT_EQ(*r.deadline(TimerId::adver), first + 1s);
  }
  EXPECT_EQ(std::count(firsts.begin(), firsts.end(), firsts.front()), 10);
}

TEST_F(RouterTest, MasterStepsDownForHigherPriority) {
  Router r = master();
  clock.advance(cs(30));
  EXPECT_EQ(step(r, from(200, "10.0.0.3", cs(50))),
            (Actions{StateChanged{State::master, State::backup, Reason::higher_priority_advert},
                     CancelTimer{TimerId::adver}, RemoveVips{},
                     ArmTimer{TimerId::master_down, clock.now() + cs(180)}}));
  EXPECT_EQ(r.master_adver_interval(), cs(50));
}

TEST_F(RouterTest, MasterTieBreaksOnPrimaryAddress) {
  Router r = master();  // primary 10.0.0.2
  EXPECT_THAT(step(r, from(100, "10.0.0.1")), IsEmpty());  // lower address: we stay
  EXPECT_EQ(r.state(), State::master);
  step(r, from(100, "10.0.0.3"));  // higher address: we yield
  EXPECT_EQ(r.state(), State::backup);
}

TEST_F(RouterTest, MasterAnswersLowerPriorityAtOnceLikeKeepalived) {
  Router r = master();
  EXPECT_EQ(step(r, from(50)), (Actions{SendAdvert{100}, SendGratuitous{.lower_priority = true}}));
  EXPECT_EQ(r.state(), State::master);
}

TEST_F(RouterTest, MasterAdvertisesOnceBeforeSteppingDownWhenConfigured) {
  Router r = master(config({.advert_on_higher_priority = true}));
  const auto actions = step(r, from(200));
  ASSERT_GE(actions.size(), 2u);
  EXPECT_EQ(actions[0], (Action{SendAdvert{100}}));
  EXPECT_EQ(actions[1], (Action{StateChanged{State::master, State::backup, Reason::higher_priority_advert}}));
}

TEST_F(RouterTest, MasterIgnoresLowerPriorityPerRfcWhenConfigured) {
  Router r = master(config({.advert_on_lower_priority = false}));
  EXPECT_EQ(step(r, from(50)), (Actions{SendGratuitous{.lower_priority = true}}));
}

TEST_F(RouterTest, MasterReassertsOnPriorityZero) {
  Router r = master();
  clock.advance(cs(20));
  EXPECT_EQ(step(r, from(0)),
            (Actions{SendAdvert{100}, ArmTimer{TimerId::adver, clock.now() + 1s}}));
}

TEST_F(RouterTest, AcceptModeIsReportedWithTheAddresses) {
  Router r{config({.accept = true})};
  step(r, Startup{});
  clock.advance(cs(360));
  EXPECT_THAT(step(r, MasterDownTimerExpired{}),
              ::testing::Contains(::testing::VariantWith<AddVips>(AddVips{.accept = true})));
}

// ---- Shutdown: §6.4.2, §6.4.3 ----

TEST_F(RouterTest, MasterShutdownHandsOffWithPriorityZero) {
  Router r = master();
  EXPECT_EQ(step(r, Shutdown{}),
            (Actions{StateChanged{State::master, State::initialize, Reason::shutdown},
                     CancelTimer{TimerId::adver}, SendAdvert{0}, RemoveVips{}}));
  EXPECT_EQ(r.state(), State::initialize);
}

TEST_F(RouterTest, BackupShutdownCancelsItsTimers) {
  Router r{config({.preempt_delay = 10s})};
  step(r, Startup{});
  EXPECT_EQ(step(r, Shutdown{}),
            (Actions{StateChanged{State::backup, State::initialize, Reason::shutdown},
                     CancelTimer{TimerId::master_down}, CancelTimer{TimerId::preempt_delay}}));
  EXPECT_FALSE(step(r, Startup{}).empty());  // and can start again
}

// ---- keepalived FAULT ----

TEST_F(RouterTest, MasterFaultReleasesAndHandsOff) {
  Router r = master();
  EXPECT_EQ(step(r, FaultRaised{}),
            (Actions{StateChanged{State::master, State::fault, Reason::fault_raised},
                     CancelTimer{TimerId::adver}, SendAdvert{0}, RemoveVips{}}));
  EXPECT_THAT(step(r, FaultRaised{}), IsEmpty());
  EXPECT_THAT(step(r, from(50)), IsEmpty());
  EXPECT_THAT(step(r, MasterDownTimerExpired{}), IsEmpty());
  EXPECT_EQ(step(r, FaultCleared{}),
            (Actions{StateChanged{State::fault, State::backup, Reason::fault_cleared},
                     ArmTimer{TimerId::master_down, clock.now() + cs(360)}}));
}

TEST_F(RouterTest, BackupFaultCancelsMasterDown) {
  Router r{config()};
  step(r, Startup{});
  EXPECT_EQ(step(r, FaultRaised{}),
            (Actions{StateChanged{State::backup, State::fault, Reason::fault_raised},
                     CancelTimer{TimerId::master_down}}));
}

TEST_F(RouterTest, OwnerLeavingFaultBecomesMaster) {
  Router r = master(config({.priority = 255}));
  step(r, FaultRaised{});
  const auto actions = step(r, FaultCleared{});
  EXPECT_EQ(actions.front(),
            (Action{StateChanged{State::fault, State::master, Reason::fault_cleared}}));
}

TEST_F(RouterTest, FaultBeforeStartupIsRemembered) {
  Router r{config()};
  EXPECT_THAT(step(r, FaultRaised{}), IsEmpty());
  EXPECT_EQ(step(r, Startup{}),
            (Actions{StateChanged{State::initialize, State::fault, Reason::fault_raised}}));
  EXPECT_EQ(step(r, FaultCleared{}).front(),
            (Action{StateChanged{State::fault, State::backup, Reason::fault_cleared}}));
  EXPECT_THAT(step(r, FaultCleared{}), IsEmpty());
}

TEST_F(RouterTest, ShutdownFromFault) {
  Router r{config()};
  step(r, Startup{});
  step(r, FaultRaised{});
  EXPECT_EQ(step(r, Shutdown{}),
            (Actions{StateChanged{State::fault, State::initialize, Reason::shutdown}}));
  EXPECT_EQ(step(r, Startup{}).front(),  // still faulted
            (Action{StateChanged{State::initialize, State::fault, Reason::fault_raised}}));
}

// ---- effective priority ----

TEST_F(RouterTest, PriorityChangeInBackupRecomputesSkew) {
  Router r{config()};
  step(r, Startup{});
  EXPECT_THAT(step(r, PriorityChanged{200}), IsEmpty());
  EXPECT_EQ(r.priority(), 200);
  EXPECT_EQ(r.skew_time(), cs(21));  // 56 * 100 / 256
  EXPECT_EQ(r.master_down_interval(), cs(321));
}

TEST_F(RouterTest, RaisedPriorityLetsABackupPreempt) {
  Router r{config()};
  step(r, Startup{});
  step(r, from(150));
  step(r, PriorityChanged{200});
  clock.advance(1s);
  EXPECT_THAT(step(r, from(150)), IsEmpty());  // now lower than us: discarded
  clock.set(*r.deadline(TimerId::master_down));
  step(r, MasterDownTimerExpired{});
  EXPECT_EQ(r.state(), State::master);
}

TEST_F(RouterTest, PriorityChangeInMasterIsAdvertisedAtOnce) {
  Router r = master();
  EXPECT_EQ(step(r, PriorityChanged{0}),  // clamped: 0 is the handoff value
            (Actions{SendAdvert{1}, ArmTimer{TimerId::adver, clock.now() + 1s}}));
  EXPECT_THAT(step(r, PriorityChanged{1}), IsEmpty());
}

// ---- what a Router discards ----

TEST_F(RouterTest, DiscardsAdvertsNotMeantForIt) {
  Router r{config()};
  step(r, Startup{});
  auto other_vrid = from(200);
  other_vrid.advert.vrid = 52;
  EXPECT_EQ(step(r, other_vrid), (Actions{AdvertDiscarded{DiscardReason::vrid_mismatch}}));
  EXPECT_EQ(step(r, from(200, "10.0.0.3", cs(100), Version::v2)),
            (Actions{AdvertDiscarded{DiscardReason::version_mismatch}}));
  EXPECT_EQ(step(r, from(200, "fe80::3")),
            (Actions{AdvertDiscarded{DiscardReason::family_mismatch}}));
}

TEST_F(RouterTest, V2DiscardsAnotherIntervalAndLearnsNothing) {
  Router r{config({.version = Version::v2})};
  step(r, Startup{});
  EXPECT_EQ(step(r, from(200, "10.0.0.3", cs(200), Version::v2)),
            (Actions{AdvertDiscarded{DiscardReason::adver_int_mismatch}}));
  clock.advance(1s);
  EXPECT_EQ(step(r, from(200, "10.0.0.3", cs(100), Version::v2)),
            (Actions{ArmTimer{TimerId::master_down, clock.now() + 3s + 609'375'000ns}}));
  EXPECT_EQ(r.master_adver_interval(), cs(100));
}

TEST_F(RouterTest, BackupForgetsALearnedIntervalOnRestart) {
  Router r{config()};
  step(r, Startup{});
  step(r, from(200, "10.0.0.3", cs(50)));
  step(r, Shutdown{});
  step(r, Startup{});
  EXPECT_EQ(r.master_adver_interval(), cs(100));  // §6.4.1: Set to Advertisement_Interval
}

// ---- keepalived vrrp_sync_group ----

TEST_F(RouterTest, SyncMemberAsksItsGroupInsteadOfTakingOver) {
  Router r{config({.sync_group = true})};
  step(r, Startup{});
  clock.set(at(3600ms));
  EXPECT_EQ(step(r, MasterDownTimerExpired{}),
            (Actions{ArmTimer{TimerId::master_down, at(7200ms)}, RequestMaster{}}));
  EXPECT_EQ(r.state(), State::backup);
  EXPECT_TRUE(r.wants_master());
  const auto actions = step(r, GroupMaster{});
  ASSERT_FALSE(actions.empty());
  EXPECT_EQ(actions.front(), (Action{StateChanged{State::backup, State::master, Reason::sync_group}}));
  EXPECT_EQ(r.state(), State::master);
  EXPECT_FALSE(r.wants_master());
}

TEST_F(RouterTest, SyncMemberHearingAMasterAgainNoLongerWantsIt) {
  Router r{config({.sync_group = true})};
  step(r, Startup{});
  clock.set(at(3600ms));
  step(r, MasterDownTimerExpired{});
  ASSERT_TRUE(r.wants_master());
  step(r, from(200));
  EXPECT_FALSE(r.wants_master());
  EXPECT_EQ(r.state(), State::backup);
}

TEST_F(RouterTest, SyncMemberPreemptDelayAlsoWaitsForTheGroup) {
  Router r{config({.preempt_delay = 1s, .sync_group = true})};
  step(r, Startup{});
  step(r, from(50));
  clock.set(at(1s));
  auto actions = step(r, PreemptDelayExpired{});
  EXPECT_EQ(actions.back(), (Action{RequestMaster{}}));
  EXPECT_EQ(r.state(), State::backup);
}

TEST_F(RouterTest, GroupOrdersAreIgnoredInTheWrongState) {
  Router r{config({.sync_group = true})};
  EXPECT_THAT(step(r, GroupMaster{}), IsEmpty());  // Initialize
  step(r, Startup{});
  EXPECT_THAT(step(r, GroupBackup{}), IsEmpty());  // already Backup
  step(r, GroupMaster{});
  ASSERT_EQ(r.state(), State::master);
  EXPECT_THAT(step(r, GroupMaster{}), IsEmpty());
  const auto actions = step(r, GroupBackup{});
  EXPECT_EQ(actions.front(), (Action{StateChanged{State::master, State::backup, Reason::sync_group}}));
  EXPECT_EQ(r.state(), State::backup);
}

TEST_F(RouterTest, SyncOwnerStillStartsAsMaster) {
  Router r{config({.priority = 255, .sync_group = true})};
  step(r, Startup{});
  EXPECT_EQ(r.state(), State::master);
}

}  // namespace
}  // namespace vigil::vrrp
