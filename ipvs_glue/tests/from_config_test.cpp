// desired_from_config: keepalived virtual_server blocks -> the IpvsTable vigil programs.
#include <gtest/gtest.h>

#include "conf/load.hpp"
#include "conf/model.hpp"
#include "conf/source.hpp"
#include "ipvs_glue/model/from_config.hpp"
#include "test_util.hpp"

namespace vigil::ipvs {
namespace {
using test::ip;

struct Loaded {
  conf::LoadResult result;
  IpvsTable table;
};

Loaded load(const std::string& text) {
  conf::MemorySource src;
  src.add("/k.conf", text);
  conf::LoadOptions o;
  o.config_id = "test";
  Loaded l{conf::load("/k.conf", src, o), {}};
  EXPECT_TRUE(l.result.ok()) << l.result.diagnostics.format_all();
  l.table = desired_from_config(*l.result.config);
  return l;
}

TEST(FromConfig, AddressServiceWithRealServers) {
  const auto l = load(R"(
virtual_server 192.0.2.1 80 {
  lvs_sched rr
  protocol TCP
  real_server 10.0.0.2 80 { weight 3 }
  real_server 10.0.0.3 8080 {
    lvs_method DR
    uthreshold 100
    lthreshold 10
  }
}
)");
  ASSERT_EQ(l.table.services.size(), 1u);
  const auto& s = l.table.services[0];
  EXPECT_EQ(s.key, ServiceKey::inet(Protocol::tcp, ip("192.0.2.1"), 80));
  EXPECT_EQ(s.scheduler, "rr");
  EXPECT_FALSE(s.flags.persistent);
  EXPECT_EQ(s.timeout, 0u);
  EXPECT_FALSE(s.netmask);
  ASSERT_EQ(s.dests.size(), 2u);
  EXPECT_EQ(s.dests[0].key(), (DestKey{ip("10.0.0.2"), 80}));
  EXPECT_EQ(s.dests[0].weight, 3);
  EXPECT_EQ(s.dests[0].method, ForwardMethod::masq);
  EXPECT_EQ(s.dests[1].key(), (DestKey{ip("10.0.0.3"), 8080}));
  EXPECT_EQ(s.dests[1].method, ForwardMethod::route);
  EXPECT_EQ(s.dests[1].weight, 1);
  EXPECT_EQ(s.dests[1].u_threshold, 100u);
  EXPECT_EQ(s.dests[1].l_threshold, 10u);
}

TEST(FromConfig, DefaultsAndRealServerPortInheritance) {
  const auto l = load("virtual_server 192.0.2.1 443 {\n real_server 10.0.0.2 {\n }\n}\n");
  ASSERT_EQ(l.table.services.size(), 1u);
  EXPECT_EQ(l.table.services[0].scheduler, "wlc");
  ASSERT_EQ(l.table.services[0].dests.size(), 1u);
  EXPECT_EQ(l.table.services[0].dests[0].port, 443);
}

TEST(FromConfig, PersistenceFlagsAndEngine) {
  const auto l = load(R"(
virtual_server 192.0.2.1 5060 {
  protocol UDP
  lvs_sched sh
  sh-port
  sh-fallback
  ops
  persistence_timeout 300
  persistence_granularity 255.255.255.0
  persistence_engine sip
  real_server 10.0.0.2 5060 {}
}
virtual_server 2001:db8::1 80 {
  lvs_sched mh
  mh-port
  sh-port
  persistence_timeout 60
  persistence_granularity 64
  real_server 2001:db8::2 80 {}
}
)");
  ASSERT_EQ(l.table.services.size(), 2u);
  const auto& s = l.table.services[0];
  EXPECT_EQ(s.key.protocol, Protocol::udp);
  EXPECT_TRUE(s.flags.persistent);
  EXPECT_TRUE(s.flags.one_packet);
  EXPECT_TRUE(s.flags.sched1);
  EXPECT_TRUE(s.flags.sched2);
  EXPECT_FALSE(s.flags.sched3);
  EXPECT_EQ(s.timeout, 300u);
  EXPECT_EQ(s.netmask, std::optional<std::uint8_t>(24));
  EXPECT_EQ(s.pe_name, "sip");
  const auto& v6 = l.table.services[1];
  EXPECT_EQ(v6.netmask, std::optional<std::uint8_t>(64));
  EXPECT_TRUE(v6.flags.sched2);   // mh-port
  EXPECT_FALSE(v6.flags.sched1);  // sh-port means nothing to mh
}

TEST(FromConfig, TunnelMethods) {
  const auto l = load(R"(
virtual_server 192.0.2.1 80 {
  lvs_method TUN type gue port 6080
  real_server 10.0.0.2 80 {}
  real_server 10.0.0.3 80 { lvs_method TUN type gre csum }
  real_server 10.0.0.4 80 { lvs_method TUN remcsum }
}
)");
  const auto& d = l.table.services.at(0).dests;
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d[0].method, ForwardMethod::tunnel);
  EXPECT_EQ(d[0].tun_type, TunnelType::gue);
  EXPECT_EQ(d[0].tun_port, 6080);
  EXPECT_EQ(d[0].tun_flags, 0);
  EXPECT_EQ(d[1].tun_type, TunnelType::gre);
  EXPECT_EQ(d[1].tun_port, 0);
  EXPECT_EQ(d[1].tun_flags, kTunFlagCsum);
  EXPECT_EQ(d[2].tun_type, TunnelType::ipip);
  EXPECT_EQ(d[2].tun_flags, kTunFlagRemCsum);
}

TEST(FromConfig, FwmarkServices) {
  const auto l = load(R"(
virtual_server fwmark 7 {
  real_server 10.0.0.2 80 {}
  real_server 10.0.0.3 {}
}
virtual_server fwmark 8 {
  ip_family inet6
  real_server 2001:db8::2 80 {}
}
)");
  ASSERT_EQ(l.table.services.size(), 2u);
  EXPECT_EQ(l.table.services[0].key, ServiceKey::mark(Family::v4, 7));
  EXPECT_EQ(l.table.services[0].dests[1].port, 0);
  EXPECT_EQ(l.table.services[1].key, ServiceKey::mark(Family::v6, 8));
}

TEST(FromConfig, SorryServerOnlyWithoutRealServers) {
  const auto l = load(R"(
virtual_server 192.0.2.1 80 {
  sorry_server 10.0.0.9 8080
  real_server 10.0.0.2 80 {}
}
virtual_server 192.0.2.1 81 {
  sorry_server 10.0.0.9
  sorry_server_lvs_method DR
}
)");
  ASSERT_EQ(l.table.services.size(), 2u);
  ASSERT_EQ(l.table.services[0].dests.size(), 1u);
  EXPECT_EQ(l.table.services[0].dests[0].address, ip("10.0.0.2"));
  ASSERT_EQ(l.table.services[1].dests.size(), 1u);
  EXPECT_EQ(l.table.services[1].dests[0].key(), (DestKey{ip("10.0.0.9"), 81}));
  EXPECT_EQ(l.table.services[1].dests[0].method, ForwardMethod::route);
}

TEST(FromConfig, GroupExpansion) {
  const auto l = load(R"(
virtual_server_group web {
  192.0.2.1 80
  192.0.2.10-12 443
  fwmark 5
}
virtual_server_group web6 {
  2001:db8::a-c 80
}
virtual_server group web {
  lvs_sched rr
  real_server 10.0.0.2 {}
}
virtual_server group web6 {
  lvs_sched rr
  real_server 2001:db8::2 {}
}
)");
  std::vector<std::string> keys;
  for (const auto& s : l.table.services) keys.push_back(s.key.to_string());
  EXPECT_EQ(keys, (std::vector<std::string>{
                      "TCP 192.0.2.1:80", "TCP 192.0.2.10:443", "TCP 192.0.2.11:443",
                      "TCP 192.0.2.12:443", "FWM 5", "TCP [2001:db8::a]:80",
                      "TCP [2001:db8::b]:80", "TCP [2001:db8::c]:80"}));
  // A real server without a port takes the group entry's port.
  EXPECT_EQ(l.table.services[1].dests.at(0).port, 443);
  EXPECT_EQ(l.table.services[4].dests.at(0).port, 0);
  EXPECT_EQ(l.table.services[7].dests.at(0).port, 80);
  for (const auto& s : l.table.services) EXPECT_EQ(s.scheduler, "rr");
}

TEST(FromConfig, OwnedKeysAreTheDesiredServices) {
  const auto l = load("virtual_server fwmark 1 {\n}\nvirtual_server 192.0.2.1 80 {\n}\n");
  const auto owned = owned_keys(l.table);
  EXPECT_EQ(owned.size(), 2u);
  EXPECT_TRUE(owned.contains(ServiceKey::mark(Family::v4, 1)));
}

TEST(FromConfig, TimeoutsAndSyncDaemon) {
  const auto l = load(R"(
global_defs {
  lvs_timeouts tcp 900 tcpfin 30 udp 300
  lvs_sync_daemon eth0 id 7 maxlen 1400 port 8850 ttl 2 group 224.0.0.82
}
)");
  EXPECT_EQ(timeouts_from_config(*l.result.config), (Timeouts{900, 30, 300}));
  const auto d = sync_daemon_from_config(*l.result.config, SyncState::backup);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->state, SyncState::backup);
  EXPECT_EQ(d->interface, "eth0");
  EXPECT_EQ(d->syncid, 7u);
  EXPECT_EQ(d->maxlen, 1400);
  EXPECT_EQ(d->port, 8850);
  EXPECT_EQ(d->ttl, 2);
  EXPECT_EQ(d->group, ip("224.0.0.82"));
  const auto none = load("virtual_server 192.0.2.1 80 {\n}\n");
  EXPECT_FALSE(sync_daemon_from_config(*none.result.config, SyncState::master));
  EXPECT_EQ(timeouts_from_config(*none.result.config), Timeouts{});
}

}  // namespace
}  // namespace vigil::ipvs
