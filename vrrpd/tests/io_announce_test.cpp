// Announcement bytes (golden, both kinds) and keepalived's GARP schedule on a manual clock.
#include <gtest/gtest.h>

#include "vrrpd/io/announcer.hpp"
#include "vrrpd/io/gratuitous.hpp"
#include "vrrpd/tests/io_fakes.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;
using test::hex;
using test::ip;

const MacAddress kMac{0x02, 0x00, 0x5e, 0x00, 0x01, 0x33};

TEST(Gratuitous, ArpRequestForTheVip) {
  EXPECT_EQ(gratuitous_arp(kMac, ip("192.0.2.100")),
            hex("0001 0800 06 04 0001"     // Ethernet, IPv4, hlen 6, plen 4, request
                "02005e000133 c0000264"    // sender: our MAC, the VIP
                "ffffffffffff c0000264")); // target: broadcast, the VIP
}

TEST(Gratuitous, UnsolicitedNeighborAdvertisementWithRouterAndOverride) {
  EXPECT_EQ(unsolicited_na(kMac, ip("2001:db8::100")),
            hex("88 00 0000 a0000000"                     // type 136, R=1 S=0 O=1
                "20010db8000000000000000000000100"       // target
                "02 01 02005e000133"));                  // target link-layer address
  EXPECT_EQ(unsolicited_na(kMac, ip("2001:db8::100"), false)[4], std::byte{0x20});
}

class AnnouncerTest : public ::testing::Test {
 protected:
  test::ManualTimers timers;
  test::FakeArp arp{timers};
  std::vector<std::string> errors;
  Announcer make(GarpConfig c) {
    return Announcer(c, {{3, ip("192.0.2.100")}, {3, ip("192.0.2.101")}}, arp, timers,
                     [this](const std::string& e) { errors.push_back(e); });
  }
  std::size_t sent_within(TimePoint from, Duration d) const {
    return std::count_if(arp.sent.begin(), arp.sent.end(),
                         [&](const auto& s) { return s.at >= from && s.at < from + d; });
  }
};

TEST_F(AnnouncerTest, BurstNowThenTheDelayedBurst) {
  auto a = make({.delay = 5s, .repeat = 3, .interval = 10ms});
  const auto t0 = timers.now();
  a.start();
  EXPECT_EQ(arp.sent.size(), 2u);  // the first round goes out at once, one per address
  timers.advance(1s);
  EXPECT_EQ(arp.sent.size(), 6u);
  EXPECT_EQ(arp.sent[2].at, t0 + 10ms);
  EXPECT_EQ(arp.sent[4].at, t0 + 20ms);
  timers.advance(5s);
  EXPECT_EQ(arp.sent.size(), 12u);
  EXPECT_EQ(arp.sent[6].at, t0 + 5s);
  timers.advance(60s);
  EXPECT_EQ(arp.sent.size(), 12u);  // no refresh configured
  EXPECT_FALSE(a.active());
}

TEST_F(AnnouncerTest, RefreshRepeatsWhileMasterAndStopsOnStop) {
  auto a = make({.delay = 0s, .repeat = 1, .refresh = 10s, .refresh_repeat = 2, .interval = 0s});
  const auto t0 = timers.now();
  a.start();
  EXPECT_EQ(arp.sent.size(), 2u);
  timers.advance(10s);
  EXPECT_EQ(sent_within(t0 + 10s, 1ms), 4u);  // two rounds, no interval between them
  timers.advance(10s);
  EXPECT_EQ(arp.sent.size(), 10u);
  a.stop();
  timers.advance(60s);
  EXPECT_EQ(arp.sent.size(), 10u);
}

TEST_F(AnnouncerTest, RestartingBeginsAFreshSchedule) {
  auto a = make({.delay = 5s, .repeat = 2, .interval = 1s});
  a.start();
  timers.advance(500ms);
  a.start();
  EXPECT_EQ(arp.sent.size(), 4u);
  timers.advance(1s);
  EXPECT_EQ(arp.sent.size(), 6u);
  timers.advance(10s);
  EXPECT_EQ(arp.sent.size(), 10u);
}

}  // namespace
}  // namespace vigil::vrrp::io
