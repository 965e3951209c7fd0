// The driver of one instance with fake ports on a manual clock: every Router action is
// carried out, in order, through the right port.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vrrpd/io/instance.hpp"
#include "vrrpd/tests/io_fakes.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;
using test::ip;
using ::testing::ElementsAre;

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
  c.garp = {.delay = 1s, .repeat = 2, .interval = 10ms};
  c.notify.master = {"/bin/master", "x"};
  c.notify.backup = {"/bin/backup"};
  c.notify.notify = {"/bin/notify"};
  return c;
}

class InstanceTest : public ::testing::Test {
 protected:
  test::ManualTimers timers;
  test::FakeTransport tx{timers};
  test::FakeVips vips;
  test::FakeArp arp{timers};
  test::FakeScripts scripts;
  test::RecordingLog log;
  std::unique_ptr<Instance> make(InstanceConfig c = config()) {
    return std::make_unique<Instance>(std::move(c),
                                      Instance::Ports{&tx, vips, arp, scripts, timers, log});
  }
  Advert decode_sent(std::size_t i) {
    const auto& s = tx.sent.at(i);
    auto a = decode_advert(s.bytes, {s.src, s.dst});
    EXPECT_TRUE(a) << to_string(a.error());
    return a ? *a : Advert{};
  }
  AdvertReceived from_peer(std::uint8_t prio) {
    Advert a;
    a.vrid = 51;
    a.priority = prio;
    a.max_adver_int = Centiseconds{10};
    a.addresses = {ip("192.0.2.100")};
    return {a, ip("192.0.2.12")};
  }
  // Started, 100 ms on, and hearing its Master (priority 200): a Backup.
  std::unique_ptr<Instance> backup_hearing_master() {
    auto i = make();
    i->start(true);
    timers.advance(100ms);
    i->receive(from_peer(200));
    return i;
  }
};

TEST_F(InstanceTest, StartsAsBackupAndTakesOverWhenTheMasterDownTimerFires) {
  auto i = make();
  i->start(true);
  EXPECT_EQ(i->state(), State::backup);
  EXPECT_TRUE(log.contains("(VI_1) entering BACKUP state: startup"));
  EXPECT_TRUE(tx.sent.empty());
  // Master_Down_Interval = 3 * 100 ms + (256 - 100) * 10 cs / 256 = 300 + 60 ms.
  timers.advance(359ms);
  EXPECT_EQ(i->state(), State::backup);
  timers.advance(1ms);
  EXPECT_EQ(i->state(), State::master);
  EXPECT_TRUE(log.contains("(VI_1) entering MASTER state: master down timer expired"));
  EXPECT_TRUE(vips.has("192.0.2.100/24"));
  ASSERT_EQ(tx.sent.size(), 1u);
  EXPECT_EQ(tx.sent[0].src, ip("192.0.2.11"));
  EXPECT_EQ(tx.sent[0].dst, ip("224.0.0.18"));
  EXPECT_EQ(decode_sent(0).priority, 100);
  EXPECT_EQ(arp.sent.size(), 1u);
  // Adverts every advert_int while Master.
  timers.advance(1s);
  EXPECT_EQ(tx.sent.size(), 11u);
  EXPECT_EQ(tx.sent[10].at - tx.sent[9].at, 100ms);
  EXPECT_EQ(arp.sent.size(), 3u);  // two rounds 10 ms apart, the second burst begins at +1 s
  timers.advance(10ms);
  EXPECT_EQ(arp.sent.size(), 4u);
}

// With the netlink installer the adds of a loop turn go to the kernel together: the first
// gratuitous ARP round waits for its address to be there.
TEST_F(InstanceTest, QueuedVipAddsAreAnnouncedOnlyOnceInstalled) {
  vips.queue = true;
  auto i = make();
  i->start(true);
  timers.advance(360ms);
  ASSERT_EQ(i->state(), State::master);
  EXPECT_EQ(tx.sent.size(), 1u);  // the advert does not wait
  EXPECT_FALSE(vips.has("192.0.2.100/24"));
  EXPECT_EQ(vips.queued.size(), 1u);
  EXPECT_TRUE(arp.sent.empty());
  vips.flush();
  EXPECT_TRUE(vips.has("192.0.2.100/24"));
  EXPECT_EQ(arp.sent.size(), 1u);
  timers.advance(10ms);
  EXPECT_EQ(arp.sent.size(), 2u);  // the rest of the burst as usual
  EXPECT_EQ(i->stats().vip_errors, 0u);
}

TEST_F(InstanceTest, AQueuedAddThatFailsIsCountedAndLoggedWhenFlushed) {
  vips.queue = true;
  vips.fail = "add 192.0.2.100/24 dev eth0: Operation not permitted";
  auto i = make();
  i->start(true);
  timers.advance(360ms);
  ASSERT_EQ(i->state(), State::master);
  EXPECT_EQ(i->stats().vip_errors, 0u);
  vips.flush();
  EXPECT_EQ(i->stats().vip_errors, 1u);
  EXPECT_TRUE(log.contains("(VI_1) add 192.0.2.100/24 dev eth0: Operation not permitted"));
  EXPECT_EQ(arp.sent.size(), 1u);  // as with a synchronous add that failed: announced anyway
}

// Master, then Backup again within the same loop turn: the kernel sees the add before the
// remove, and nothing is announced.
TEST_F(InstanceTest, SteppingDownBeforeTheFlushAddsThenRemovesAndAnnouncesNothing) {
  vips.queue = true;
  auto i = make();
  i->start(true);
  timers.advance(360ms);
  ASSERT_EQ(i->state(), State::master);
  i->receive(from_peer(200));
  EXPECT_EQ(i->state(), State::backup);
  EXPECT_THAT(vips.ops, ElementsAre("remove 192.0.2.100/24 dev eth0", "add 192.0.2.100/24 dev eth0",
                                    "remove 192.0.2.100/24 dev eth0"));
  EXPECT_FALSE(vips.has("192.0.2.100/24"));
  vips.flush();
  timers.advance(2s);
  EXPECT_TRUE(arp.sent.empty());
}

TEST_F(InstanceTest, NotifyScriptsRunOnEachStateWithKeepalivedsArguments) {
  auto i = make();
  i->start(true);
  timers.advance(1s);
  ASSERT_EQ(scripts.runs.size(), 4u);
  EXPECT_THAT(scripts.runs[0], ElementsAre("/bin/backup"));
  EXPECT_THAT(scripts.runs[1], ElementsAre("/bin/notify", "INSTANCE", "VI_1", "BACKUP", "100"));
  EXPECT_THAT(scripts.runs[2], ElementsAre("/bin/master", "x"));
  EXPECT_THAT(scripts.runs[3], ElementsAre("/bin/notify", "INSTANCE", "VI_1", "MASTER", "100"));
}

TEST_F(InstanceTest, AHigherPriorityAdvertMakesTheMasterStepDownAndReleaseTheVips) {
  auto i = make();
  i->start(true);
  timers.advance(1s);
  ASSERT_EQ(i->state(), State::master);
  i->receive(from_peer(200));
  EXPECT_EQ(i->state(), State::backup);
  EXPECT_FALSE(vips.has("192.0.2.100/24"));
  EXPECT_TRUE(log.contains("entering BACKUP state: higher priority advert"));
  const auto sent = tx.sent.size();
  const auto announced = arp.sent.size();
  timers.advance(200ms);  // adverts stopped, and so did the announcements
  EXPECT_EQ(tx.sent.size(), sent);
  EXPECT_EQ(arp.sent.size(), announced);
}

TEST_F(InstanceTest, StopAsMasterSendsPriorityZeroThenRemovesTheVips) {
  auto i = make();
  i->start(true);
  timers.advance(1s);
  vips.ops.clear();
  const auto before = tx.sent.size();
  tx.on_send = [&](const test::SentPacket&) {
    EXPECT_TRUE(vips.has("192.0.2.100/24")) << "the priority-0 advert comes first (keepalived)";
  };
  i->stop();
  ASSERT_EQ(tx.sent.size(), before + 1);
  EXPECT_EQ(decode_sent(before).priority, 0);
  EXPECT_THAT(vips.ops, ElementsAre("remove 192.0.2.100/24 dev eth0"));
  EXPECT_EQ(i->state(), State::initialize);
  tx.on_send = nullptr;
  timers.advance(10s);
  EXPECT_EQ(tx.sent.size(), before + 1);  // every timer cancelled
}

TEST_F(InstanceTest, StaleVipsAreRemovedBeforeJoiningAsBackup) {
  auto c = config();
  vips.installed = c.vips;  // what a crashed run left behind
  auto i = make(c);
  i->start(true);
  EXPECT_FALSE(vips.has("192.0.2.100/24"));
  EXPECT_EQ(vips.ops.front(), "remove 192.0.2.100/24 dev eth0");
  EXPECT_TRUE(log.contains("removed stale address 192.0.2.100/24 dev eth0"));
  EXPECT_EQ(i->state(), State::backup);
}

TEST_F(InstanceTest, LinkDownIsFaultAndReleasesTheVipsLinkUpStartsAgain) {
  auto i = make();
  i->start(true);
  timers.advance(1s);
  ASSERT_EQ(i->state(), State::master);
  i->set_link(false);
  EXPECT_EQ(i->state(), State::fault);
  EXPECT_FALSE(vips.has("192.0.2.100/24"));
  EXPECT_TRUE(log.contains("entering FAULT state: fault raised"));
  i->set_link(true);
  EXPECT_EQ(i->state(), State::backup);
  timers.advance(1s);
  EXPECT_EQ(i->state(), State::master);
}

TEST_F(InstanceTest, AMissingOrDownInterfaceStartsInFault) {
  auto i = make();
  i->start(false);
  EXPECT_EQ(i->state(), State::fault);
  timers.advance(10s);
  EXPECT_EQ(i->state(), State::fault);
  EXPECT_TRUE(tx.sent.empty());
}

TEST_F(InstanceTest, PriorityZeroFromTheMasterTakesOverAfterSkewTime) {
  auto i = backup_hearing_master();
  timers.advance(300ms);
  ASSERT_EQ(i->state(), State::backup);
  i->receive(from_peer(0));
  timers.advance(60ms);  // Skew_Time = 156 * 10 cs / 256 = 6 cs
  EXPECT_EQ(i->state(), State::master);
}

// The priority 0 that the loop read 3 ms after the kernel had it: Skew_Time counts from its
// arrival. An arrival before the instance's previous step counts from that step instead.
TEST_F(InstanceTest, SkewTimeCountsFromThePacketsArrivalNotFromWhenTheLoopReadIt) {
  auto i = backup_hearing_master();
  timers.advance(300ms);
  const auto arrived = timers.now() - 3ms;
  i->receive(from_peer(0), arrived);
  timers.advance(56ms);  // arrival + 59 ms: Skew_Time (60 ms) not yet up
  EXPECT_EQ(i->state(), State::backup);
  timers.advance(1ms);  // arrival + 60 ms, 57 ms after it was read
  EXPECT_EQ(i->state(), State::master);

  auto j = backup_hearing_master();  // its previous step: now
  const auto before = timers.now();
  j->receive(from_peer(0), before - 50ms);  // "arrived" before it: counts from it
  timers.advance(59ms);
  EXPECT_EQ(j->state(), State::backup);
  timers.advance(1ms);
  EXPECT_EQ(j->state(), State::master);
}

// A Backup hearing its Master: the Master_Down deadline moves on every advert, the Timer is
// armed about once per Master_Down_Interval, not per advert; silence still takes over on time.
TEST_F(InstanceTest, ABackupsTimerIsNotReArmedPerAdvert) {
  auto i = backup_hearing_master();
  ASSERT_EQ(i->state(), State::backup);
  const auto before = timers.arms();
  for (int k = 0; k < 100; ++k) {
    timers.advance(100ms);  // the Master's advert interval
    i->receive(from_peer(200));
  }
  EXPECT_EQ(i->state(), State::backup);
  EXPECT_LE(timers.arms() - before, 40U);  // about one per 300+ ms, never one per advert
  // Master_Down_Interval = 3 x 100 ms + Skew_Time 60 ms after the last advert.
  timers.advance(355ms);
  EXPECT_EQ(i->state(), State::backup);
  timers.advance(10ms);
  EXPECT_EQ(i->state(), State::master);
}

TEST_F(InstanceTest, UnicastPeersEachGetTheirOwnCopy) {
  auto c = config();
  c.destinations = {ip("192.0.2.12"), ip("192.0.2.13")};
  auto i = make(c);
  i->start(true);
  timers.advance(360ms);
  ASSERT_EQ(tx.sent.size(), 2u);
  EXPECT_EQ(tx.sent[0].dst, ip("192.0.2.12"));
  EXPECT_EQ(tx.sent[1].dst, ip("192.0.2.13"));
  EXPECT_EQ(decode_sent(1).priority, 100);  // the v3 checksum covers each destination
}

TEST_F(InstanceTest, DiscardedAdvertsAreCountedByReason) {
  auto i = make();
  i->start(true);
  auto a = from_peer(200);
  a.advert.version = Version::v2;
  a.advert.max_adver_int = Centiseconds{100};
  i->receive(a);
  EXPECT_EQ(i->stats().discarded[static_cast<std::size_t>(DiscardReason::version_mismatch)], 1u);
}

TEST_F(InstanceTest, SendFailuresAreCountedAndLoggedOnce) {
  auto i = make();
  i->set_transport(nullptr);
  i->start(true);
  timers.advance(2s);
  EXPECT_EQ(i->state(), State::master);
  EXPECT_GT(i->stats().send_errors, 10u);
  EXPECT_EQ(std::count_if(log.lines.begin(), log.lines.end(),
                          [](const auto& l) { return l.second.find("cannot send") != std::string::npos; }),
            1);
}

}  // namespace
}  // namespace vigil::vrrp::io
