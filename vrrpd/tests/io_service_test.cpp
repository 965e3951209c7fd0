// Several Services (each one "host") on a fake LAN: real encoding, demultiplexing and
// drivers, fake sockets that deliver each advert to the other hosts 100 us later, on one
// manual clock. Election, crash, graceful handoff, receive counters.
#include <gtest/gtest.h>

#include "vrrpd/io/service.hpp"
#include "vrrpd/tests/io_fakes.hpp"
#include "vrrpd/tests/io_lan.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;
using namespace lan;
using test::ip;

struct Host {
  Host(Lan& lan, test::ManualTimers& timers, std::string addr, std::uint8_t prio)
      : sockets(lan, ip(addr)), arp(timers) {
    InstanceConfig c;
    c.name = "VI_1";
    c.interface = "eth0";
    c.ifindex = 2;
    c.router.vrid = 51;
    c.router.priority = prio;
    c.router.advertisement_interval = Centiseconds{10};
    c.router.primary_address = ip(addr);
    c.router.addresses = {ip("192.0.2.100")};
    c.destinations = {ip("224.0.0.18")};
    Vip v;
    v.address = *Prefix::parse("192.0.2.100/24");
    v.ifindex = 2;
    v.dev = "eth0";
    c.vips = {v};
    std::vector<InstanceConfig> configs;
    configs.push_back(std::move(c));
    service = std::make_unique<Service>(std::move(configs),
                                        Service::Ports{sockets, vips, arp, scripts, timers, log});
  }
  State state() const { return service->instances().front()->state(); }
  bool owns_vip() const { return vips.has("192.0.2.100/24"); }
  // A crash: the process is gone, the socket with it; nothing is sent on the way out.
  void crash() { sockets.last->up = false; }

  LanSockets sockets;
  test::FakeVips vips;
  test::FakeArp arp;
  test::FakeScripts scripts;
  test::RecordingLog log;
  std::unique_ptr<Service> service;
};

class ServiceTest : public ::testing::Test {
 protected:
  test::ManualTimers timers;
  Lan lan{timers};
  Host a{lan, timers, "192.0.2.11", 150};
  Host b{lan, timers, "192.0.2.12", 100};
  static bool up(int) { return true; }

  void start_both() {
    a.service->start(up);
    b.service->start(up);
    timers.advance(2s);
  }
  // The time from now until b owns the VIP, on the manual clock.
  Duration until_b_owns() {
    const auto t0 = timers.now();
    while (!b.owns_vip() && timers.now() - t0 < 10s) timers.advance(1ms);
    return timers.now() - t0;
  }
};

TEST_F(ServiceTest, TheHigherPriorityIsElectedAndHoldsTheVip) {
  start_both();
  EXPECT_EQ(a.state(), State::master);
  EXPECT_EQ(b.state(), State::backup);
  EXPECT_TRUE(a.owns_vip());
  EXPECT_FALSE(b.owns_vip());
  const auto* rx = b.service->counters(2, Family::v4);
  ASSERT_NE(rx, nullptr);
  EXPECT_GT(rx->delivered_count(), 10u);
  EXPECT_EQ(rx->dropped(), 0u);
}

TEST_F(ServiceTest, CrashOfTheMasterBackupTakesOverAfterMasterDownInterval) {
  start_both();
  a.crash();
  const auto took = until_b_owns();
  // Master_Down_Interval of b: 300 ms + 6 cs skew, counted from a's last advert (< 100 ms ago).
  EXPECT_GT(took, 260ms);
  EXPECT_LE(took, 361ms);
  EXPECT_EQ(b.state(), State::master);
  EXPECT_GE(b.arp.sent.size(), 1u);
}

TEST_F(ServiceTest, StopHandsOffWithPriorityZeroWithinSkewTime) {
  start_both();
  a.service->stop();
  EXPECT_FALSE(a.owns_vip());
  const auto took = until_b_owns();
  EXPECT_LE(took, 61ms);  // Skew_Time of b, 60 ms, plus the LAN's 100 us
  EXPECT_EQ(b.state(), State::master);
}

TEST_F(ServiceTest, TheLowerPriorityStartingFirstIsPreempted) {
  b.service->start(up);
  timers.advance(1s);
  ASSERT_EQ(b.state(), State::master);
  a.service->start(up);
  timers.advance(1s);
  EXPECT_EQ(a.state(), State::master);
  EXPECT_EQ(b.state(), State::backup);
  EXPECT_FALSE(b.owns_vip());
}

TEST_F(ServiceTest, ASocketThatCannotBeOpenedLeavesTheInstanceInFault) {
  b.sockets.fail = true;
  b.service->start(up);
  timers.advance(2s);
  EXPECT_EQ(b.state(), State::fault);
  EXPECT_FALSE(b.owns_vip());
  EXPECT_TRUE(b.log.contains("cannot open the VRRP socket"));
}

TEST_F(ServiceTest, LinkEventsOfTheInterfaceAreFaultEdges) {
  start_both();
  a.service->on_link({.ifindex = 2, .name = "eth0", .up = false});
  EXPECT_EQ(a.state(), State::fault);
  EXPECT_FALSE(a.owns_vip());
  EXPECT_TRUE(until_b_owns() < 100ms);  // a handed off with priority 0 on its way to FAULT
  a.service->on_link({.ifindex = 9, .name = "eth9", .up = true});
  EXPECT_EQ(a.state(), State::fault);  // not its interface
  a.service->on_link({.ifindex = 2, .name = "eth0", .up = true});
  timers.advance(1s);
  EXPECT_EQ(a.state(), State::master);
  EXPECT_EQ(b.state(), State::backup);
}

TEST_F(ServiceTest, SocketLevelDropsAreCountedToo) {
  start_both();
  b.sockets.last->on_drop(RxDrop::bad_ip_header);
  EXPECT_EQ((*b.service->counters(2, Family::v4))[RxDrop::bad_ip_header], 1u);
}

}  // namespace
}  // namespace vigil::vrrp::io
