#include <gtest/gtest.h>

#include <algorithm>

#include "ipvs_glue/model/types.hpp"
#include "test_util.hpp"

namespace vigil::ipvs {
namespace {
using test::dest;
using test::fwm;
using test::ip;
using test::tcp;

TEST(ServiceKey, FwmarkKeysAreCanonical) {
  const auto k = ServiceKey::mark(Family::v6, 7);
  EXPECT_TRUE(k.is_fwmark());
  EXPECT_EQ(k.protocol, Protocol::tcp);
  EXPECT_EQ(k.address, IpAddress::v6({}));
  EXPECT_EQ(k.port, 0);
  EXPECT_EQ(k, ServiceKey::mark(Family::v6, 7));
  EXPECT_NE(k, ServiceKey::mark(Family::v4, 7));
}

TEST(ServiceKey, ToString) {
  EXPECT_EQ(ServiceKey::inet(Protocol::tcp, ip("192.0.2.1"), 80).to_string(), "TCP 192.0.2.1:80");
  EXPECT_EQ(ServiceKey::inet(Protocol::udp, ip("2001:db8::1"), 53).to_string(),
            "UDP [2001:db8::1]:53");
  EXPECT_EQ(ServiceKey::inet(Protocol::sctp, ip("192.0.2.1"), 9).to_string(), "SCTP 192.0.2.1:9");
  EXPECT_EQ(ServiceKey::mark(Family::v4, 7).to_string(), "FWM 7");
  EXPECT_EQ(ServiceKey::mark(Family::v6, 7).to_string(), "FWM 7 IPv6");
  EXPECT_EQ(protocol_name(static_cast<Protocol>(50)), "proto 50");
}

TEST(ServiceKey, OrdersLikeIpvsadm) {
  // Address services (fwmark 0) first, then by family, protocol, address, port.
  std::vector<ServiceKey> keys = {
      ServiceKey::mark(Family::v4, 2),
      ServiceKey::inet(Protocol::udp, ip("10.0.0.1"), 53),
      ServiceKey::inet(Protocol::tcp, ip("2001:db8::1"), 80),
      ServiceKey::inet(Protocol::tcp, ip("10.0.0.2"), 80),
      ServiceKey::inet(Protocol::tcp, ip("10.0.0.1"), 443),
      ServiceKey::inet(Protocol::tcp, ip("10.0.0.1"), 80),
      ServiceKey::mark(Family::v4, 1)};
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> names;
  for (const auto& k : keys) names.push_back(k.to_string());
  EXPECT_EQ(names, (std::vector<std::string>{"TCP 10.0.0.1:80", "TCP 10.0.0.1:443",
                                             "TCP 10.0.0.2:80", "UDP 10.0.0.1:53",
                                             "TCP [2001:db8::1]:80", "FWM 1", "FWM 2"}));
}

TEST(ServiceFlags, BitsRoundTrip) {
  for (std::uint32_t b = 0; b < 64; ++b) EXPECT_EQ(ServiceFlags::from_bits(b).bits(), b);
  ServiceFlags f;
  f.persistent = f.sched2 = true;
  EXPECT_EQ(f.bits(), 0x0001u | 0x0010u);
}

TEST(SameSettings, ServiceIgnoresHashedStatsAndDests) {
  Service a = tcp("10.0.0.1", 80, "rr", {dest("10.0.0.2", 80)});
  Service b = tcp("10.0.0.1", 80, "rr");
  b.flags.hashed = true;
  b.stats.conns = 42;
  EXPECT_TRUE(same_settings(a, b));
  b.timeout = 300;
  EXPECT_FALSE(same_settings(a, b));
  b = a;
  b.netmask = 24;
  EXPECT_FALSE(same_settings(a, b));
  b = a;
  b.pe_name = "sip";
  EXPECT_FALSE(same_settings(a, b));
  b = a;
  b.flags.one_packet = true;
  EXPECT_FALSE(same_settings(a, b));
}

TEST(SameSettings, DestIgnoresCountersAndTunnelFieldsUnlessTunnel) {
  Dest a = dest("10.0.0.2", 80, 5);
  Dest b = a;
  b.active_conns = 3;
  b.stats.inbytes = 99;
  b.tun_port = 6080;  // meaningless for masq
  EXPECT_TRUE(same_settings(a, b));
  a.method = b.method = ForwardMethod::tunnel;
  EXPECT_FALSE(same_settings(a, b));
  b.tun_port = 0;
  EXPECT_TRUE(same_settings(a, b));
  b.weight = 0;
  EXPECT_FALSE(same_settings(a, b));
}

TEST(IpvsTable, FindAndSort) {
  IpvsTable t;
  t.services = {tcp("10.0.0.9", 80, "rr", {dest("10.0.0.3", 80), dest("10.0.0.2", 81),
                                           dest("10.0.0.2", 80)}),
                fwm(1), tcp("10.0.0.1", 80)};
  ASSERT_NE(t.find(ServiceKey::mark(Family::v4, 1)), nullptr);
  EXPECT_EQ(t.find(ServiceKey::mark(Family::v6, 1)), nullptr);
  t.sort();
  EXPECT_EQ(t.services[0].key.to_string(), "TCP 10.0.0.1:80");
  EXPECT_EQ(t.services[2].key.to_string(), "FWM 1");
  const auto& d = t.services[1].dests;
  EXPECT_EQ(d[0].key().to_string(), "10.0.0.2:80");
  EXPECT_EQ(d[1].key().to_string(), "10.0.0.2:81");
  EXPECT_EQ(d[2].key().to_string(), "10.0.0.3:80");
  ASSERT_NE(t.services[1].find(DestKey{ip("10.0.0.3"), 80}), nullptr);
}

TEST(Info, VersionString) { EXPECT_EQ((Info{0x010201, 4096}.version_string()), "1.2.1"); }

}  // namespace
}  // namespace vigil::ipvs
