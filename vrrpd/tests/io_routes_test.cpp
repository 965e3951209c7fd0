// virtual_routes / virtual_rules: the ip-route / ip-rule words understood, and a Master
// installing them after its addresses and removing them before (keepalived's order).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vrrpd/io/instance.hpp"
#include "vrrpd/io/route_spec.hpp"
#include "vrrpd/tests/io_fakes.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;
using test::ip;
using ::testing::ElementsAre;

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::string w;
  for (char c : line + " ") {
    if (c == ' ') {
      if (!w.empty()) out.push_back(std::move(w));
      w.clear();
    } else {
      w += c;
    }
  }
  return out;
}

TEST(RouteSpec, TheCommonIpRouteWords) {
  auto r = parse_route(words("10.1.0.0/16 via 192.0.2.1 dev eth0 src 192.0.2.100 metric 5 table 100 proto static onlink"));
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->destination, Prefix::parse("10.1.0.0/16"));
  EXPECT_EQ(r->via, ip("192.0.2.1"));
  EXPECT_EQ(r->src, ip("192.0.2.100"));
  EXPECT_EQ(r->dev, "eth0");
  EXPECT_EQ(r->metric, 5u);
  EXPECT_EQ(r->table, 100u);
  EXPECT_EQ(r->protocol, 4);
  EXPECT_TRUE(r->onlink);
  EXPECT_EQ(r->type, 1);
  auto d = parse_route(words("default via 2001:db8::1 table main"));
  ASSERT_TRUE(d) << d.error();
  EXPECT_FALSE(d->destination);
  EXPECT_EQ(d->family, Family::v6);
  EXPECT_EQ(d->table, 254u);
  auto b = parse_route(words("blackhole 198.51.100.0/24"));
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->type, 6);
}

TEST(RouteSpec, WhatIsNotUnderstoodIsRefusedWhole) {
  EXPECT_FALSE(parse_route(words("10.0.0.0/8 via 192.0.2.1 realm 7")));
  EXPECT_FALSE(parse_route(words("10.0.0.0/8 via 2001:db8::1")));  // mixed families
  EXPECT_FALSE(parse_route(words("10.0.0.0/8")));                  // unicast, nowhere to go
  EXPECT_FALSE(parse_route(words("10.0.0.0/8 metric")));
  EXPECT_FALSE(parse_route(words("via 192.0.2.1")));
}

TEST(RuleSpec, TheCommonIpRuleWords) {
  auto r = parse_rule(words("from 192.0.2.100/32 to all table 100 priority 50 fwmark 0x10/0xff iif eth0"), Family::v4);
  ASSERT_TRUE(r) << r.error();
  EXPECT_EQ(r->from, Prefix::parse("192.0.2.100/32"));
  EXPECT_FALSE(r->to);
  EXPECT_EQ(r->table, 100u);
  EXPECT_EQ(r->priority, 50u);
  EXPECT_EQ(r->fwmark, 16u);
  EXPECT_EQ(r->fwmask, 255u);
  EXPECT_EQ(r->iif, "eth0");
  EXPECT_EQ(r->action, 1);
  auto v6 = parse_rule(words("to 2001:db8::/64 lookup 7"), Family::v4);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, Family::v6);
  EXPECT_EQ(parse_rule(words("from all blackhole"), Family::v4)->action, 6);
  EXPECT_FALSE(parse_rule(words("from 192.0.2.1"), Family::v4));  // no table, no action
  EXPECT_FALSE(parse_rule(words("not from 192.0.2.1 table 5"), Family::v4));
}

TEST(VirtualRoutes, InAfterTheAddressesOutBeforeThem) {
  test::ManualTimers timers;
  test::FakeTransport tx{timers};
  test::FakeVips vips;
  test::FakeRoutes routes(&vips.ops);
  test::FakeArp arp{timers};
  test::FakeScripts scripts;
  test::RecordingLog log;
  InstanceConfig c;
  c.name = "VI_1";
  c.interface = "eth0";
  c.ifindex = 3;
  c.router.vrid = 51;
  c.router.advertisement_interval = Centiseconds{10};
  c.router.primary_address = ip("192.0.2.11");
  c.router.addresses = {ip("192.0.2.100")};
  c.destinations = {ip("224.0.0.18")};
  Vip v;
  v.address = *Prefix::parse("192.0.2.100/24");
  v.ifindex = 3;
  v.dev = "eth0";
  c.vips = {v};
  c.routes = {*parse_route(words("10.1.0.0/16 via 192.0.2.1"))};
  c.rules = {*parse_rule(words("from 192.0.2.100 table 100"), Family::v4)};
  Instance i(c, {&tx, vips, arp, scripts, timers, log, &routes});
  i.start(true);
  vips.ops.clear();
  timers.advance(1s);
  ASSERT_EQ(i.state(), State::master);
  EXPECT_THAT(vips.ops, ElementsAre("add 192.0.2.100/24 dev eth0", "add route 10.1.0.0/16 via 192.0.2.1",
                                    "add rule from 192.0.2.100 table 100"));
  vips.ops.clear();
  i.stop();
  EXPECT_THAT(vips.ops, ElementsAre("remove rule from 192.0.2.100 table 100",
                                    "remove route 10.1.0.0/16 via 192.0.2.1", "remove 192.0.2.100/24 dev eth0"));
  EXPECT_TRUE(routes.installed.empty());
}

}  // namespace
}  // namespace vigil::vrrp::io
