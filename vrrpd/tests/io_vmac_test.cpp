// use_vmac: the pure part (MAC, names, reuse, sysctls and their restoration, the IPv6
// link-local), conf -> InstanceConfig, and Services on the fake LAN with a fake VmacPort.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "vrrpd/io/instance_config.hpp"
#include "vrrpd/io/service.hpp"
#include "vrrpd/io/vmac.hpp"
#include "vrrpd/tests/io_conf_util.hpp"
#include "vrrpd/tests/io_fakes.hpp"
#include "vrrpd/tests/io_lan.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;
using test::ip;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(Vmac, Rfc5798VirtualRouterMac) {
  EXPECT_EQ(to_string(vmac_address(51, Family::v4)), "00:00:5e:00:01:33");
  EXPECT_EQ(to_string(vmac_address(255, Family::v6)), "00:00:5e:00:02:ff");
}

TEST(Vmac, NamesInKeepalivedsOrder) {
  auto v4 = vmac_name_candidates("", 51, Family::v4);
  ASSERT_GE(v4.size(), 3u);
  EXPECT_EQ(v4[0], "vrrp.51");
  EXPECT_EQ(v4[1], "vrrp1.51");
  EXPECT_EQ(v4[2], "vrrp2.51");
  auto v6 = vmac_name_candidates("", 7, Family::v6);
  EXPECT_EQ(v6[0], "vrrp.7");
  EXPECT_EQ(v6[1], "vrrp6.7");
  EXPECT_EQ(v6[2], "vrrp1.7");
  EXPECT_EQ(std::count(v6.begin(), v6.end(), "vrrp6.7"), 1);
  // A configured name comes first; one longer than IFNAMSIZ cannot be used.
  EXPECT_EQ(vmac_name_candidates("lb-vmac", 51, Family::v4)[0], "lb-vmac");
  EXPECT_EQ(vmac_name_candidates("a-name-far-too-long", 51, Family::v4)[0], "vrrp.51");
  EXPECT_EQ(vmac_name_candidates("vrrp.51", 51, Family::v4)[1], "vrrp1.51");
  // global_defs vmac_prefix
  auto lb = vmac_name_candidates("", 51, Family::v6, "lb");
  EXPECT_EQ(lb[0], "lb.51");
  EXPECT_EQ(lb[1], "lb6.51");
}

TEST(Vmac, OnlyOurOwnPrivateMacvlanIsReused) {
  const Mac mac = vmac_address(51, Family::v4);
  LinkFacts ours{7, true, true, 2, mac, kVmacAlias};
  EXPECT_EQ(classify(std::nullopt, 2, mac), NameUse::free);
  EXPECT_EQ(classify(ours, 2, mac), NameUse::reusable);
  auto other_base = ours;
  other_base.base_ifindex = 3;
  auto other_mac = ours;
  other_mac.mac = vmac_address(52, Family::v4);
  auto bridge_mode = ours;
  bridge_mode.private_mode = false;
  auto not_macvlan = ours;
  not_macvlan.macvlan = false;
  for (const auto& f : {other_base, other_mac, bridge_mode, not_macvlan}) EXPECT_EQ(classify(f, 2, mac), NameUse::taken);
}

TEST(Vmac, KeepalivedsSysctls) {
  EXPECT_THAT(vmac_sysctls(Family::v4, false),
              ElementsAre(Sysctl{SysctlKey::arp_ignore, 1}, Sysctl{SysctlKey::accept_local, 1},
                          Sysctl{SysctlKey::rp_filter, 0}, Sysctl{SysctlKey::promote_secondaries, 1},
                          Sysctl{SysctlKey::disable_ipv6, 1}));
  EXPECT_EQ(vmac_sysctls(Family::v4, true).size(), 4u);  // IPv6 VIPs need IPv6
  EXPECT_THAT(vmac_sysctls(Family::v6, false), IsEmpty());
  EXPECT_THAT(base_sysctls(Family::v4), ElementsAre(Sysctl{SysctlKey::arp_ignore, 1}, Sysctl{SysctlKey::arp_filter, 1},
                                                    Sysctl{SysctlKey::arp_announce, 2}));
  EXPECT_THAT(base_sysctls(Family::v6), IsEmpty());
}

TEST(Vmac, TheBasesValuesComeBackAfterItsLastVmac) {
  BaseSysctls b;
  const auto wanted = base_sysctls(Family::v4);
  const std::vector<Sysctl> now{{SysctlKey::arp_ignore, 2}, {SysctlKey::arp_filter, 1}, {SysctlKey::arp_announce, 0}};
  // Only what differs is set, and only that is put back.
  EXPECT_THAT(b.acquire(2, now, wanted), ElementsAre(Sysctl{SysctlKey::arp_ignore, 1}, Sysctl{SysctlKey::arp_announce, 2}));
  EXPECT_THAT(b.acquire(2, wanted, wanted), IsEmpty());  // a second VMAC on eth0
  EXPECT_THAT(b.acquire(3, wanted, wanted), IsEmpty());  // eth1 was right already
  EXPECT_THAT(b.release(2), IsEmpty());
  EXPECT_THAT(b.release(2), ElementsAre(Sysctl{SysctlKey::arp_ignore, 2}, Sysctl{SysctlKey::arp_announce, 0}));
  EXPECT_THAT(b.release(2), IsEmpty());
  EXPECT_THAT(b.release(3), IsEmpty());
}

TEST(Vmac, Ipv6LinkLocal) {
  const Mac base{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  EXPECT_EQ(vmac_link_local(std::nullopt, std::nullopt, base), ip("fe80::5054:ff:fe12:3456"));
  EXPECT_EQ(vmac_link_local(std::nullopt, ip("fe80::11"), base), ip("fe80::11"));
  EXPECT_EQ(vmac_link_local(ip("fe80::99"), ip("fe80::11"), base), ip("fe80::99"));
}

Result<InstanceConfig, std::string> make(const std::string& body) {
  auto r = test::load_conf("vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n" + body + "\n}\n");
  return make_instance_config(r.config->vrrp_instances.at(0), r.config->global, &test::test_host);
}

TEST(VmacConfig, UseVmacPutsTheVipsOnTheVmac) {
  auto c = make(" use_vmac\n virtual_ipaddress {\n 192.0.2.100/24\n 192.0.2.101/24 dev eth1\n }");
  ASSERT_TRUE(c) << c.error();
  ASSERT_TRUE(c->vmac);
  EXPECT_EQ(c->vmac->name, "vrrp.51");
  EXPECT_EQ(c->vmac->base, "eth0");
  EXPECT_EQ(c->vmac->base_ifindex, 2);
  EXPECT_EQ(c->vmac->mac, vmac_address(51, Family::v4));
  EXPECT_FALSE(c->vmac->xmit_base);
  EXPECT_EQ(c->router.primary_address, ip("192.0.2.11"));  // the base's address
  EXPECT_EQ(c->vips.at(0).dev, "vrrp.51");
  EXPECT_EQ(c->vips.at(1).dev, "eth1");  // a dev of its own stays

  bind_vmac(*c, "vrrp1.51", 9);
  EXPECT_EQ(c->interface, "vrrp1.51");
  EXPECT_EQ(c->ifindex, 9);
  EXPECT_EQ(c->vips.at(0).dev, "vrrp1.51");
  EXPECT_EQ(c->vips.at(0).ifindex, 9);
  EXPECT_EQ(c->vips.at(1).ifindex, 3);
  EXPECT_EQ(configured_interface(*c), "eth0");
}

TEST(VmacConfig, NamedXmitBaseAndIpv6) {
  auto c = make(" use_vmac lb51\n vmac_xmit_base\n virtual_ipaddress {\n 192.0.2.100/24\n }");
  ASSERT_TRUE(c && c->vmac);
  EXPECT_EQ(c->vmac->name, "lb51");
  EXPECT_TRUE(c->vmac->xmit_base);
  bind_vmac(*c, "lb51", 9);
  EXPECT_EQ(c->ifindex, 2);  // adverts stay on eth0
  EXPECT_EQ(c->vips.at(0).ifindex, 9);

  auto v6 = make(" use_vmac\n virtual_ipaddress {\n 2001:db8::100/64\n }");
  ASSERT_TRUE(v6 && v6->vmac);
  EXPECT_EQ(v6->vmac->mac, vmac_address(51, Family::v6));
  EXPECT_EQ(v6->vmac->link_local, ip("fe80::11"));  // the base's link-local
}

TEST(VmacConfig, UnicastPeersAreHeardOnTheBase) {
  auto c = make(" use_vmac\n unicast_peer {\n 192.0.2.12\n }\n virtual_ipaddress {\n 192.0.2.100/24\n }");
  ASSERT_TRUE(c && c->vmac);
  EXPECT_TRUE(c->vmac->xmit_base);
  EXPECT_THAT(c->warnings, ElementsAre(::testing::HasSubstr("use_vmac with unicast_peer")));
}

TEST(VmacConfig, GlobalVmacPrefix) {
  auto r = test::load_conf(
      "global_defs {\n vmac_prefix lb\n}\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 51\n use_vmac\n"
      " virtual_ipaddress {\n 192.0.2.100/24\n }\n}\n");
  auto c = make_instance_config(r.config->vrrp_instances.at(0), r.config->global, &test::test_host);
  ASSERT_TRUE(c && c->vmac);
  EXPECT_EQ(c->vmac->name, "lb.51");
  EXPECT_EQ(c->vips.at(0).dev, "lb.51");
}

TEST(VmacConfig, XmitBaseNeedsVmacAndNoStrictMode) {
  auto c = make(" vmac_xmit_base\n virtual_ipaddress {\n 192.0.2.100/24\n }");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->vmac);
  EXPECT_THAT(c->warnings, ElementsAre(::testing::HasSubstr("only valid with use_vmac")));
  auto s = make(" use_vmac\n vmac_xmit_base\n strict_mode\n virtual_ipaddress {\n 192.0.2.100/24\n }");
  ASSERT_TRUE(s && s->vmac);
  EXPECT_FALSE(s->vmac->xmit_base);
}

// The macvlans of one host, in memory.
class FakeVmacs final : public VmacPort {
 public:
  std::optional<LinkFacts> find(const std::string& name) override {
    auto it = links.find(name);
    if (it == links.end()) return std::nullopt;
    return it->second;
  }
  Result<VmacLink, std::string> setup(const VmacSpec& spec) override {
    if (fail) return unexpected(std::string("Operation not permitted"));
    if (!spec.reuse) links[spec.name] = LinkFacts{next_ifindex++, true, true, spec.base_ifindex, spec.mac, kVmacAlias};
    ops.push_back((spec.reuse ? "reuse " : "create ") + spec.name);
    const auto& f = links[spec.name];
    return VmacLink{spec.name, f.ifindex, spec.base_ifindex, f.alias == kVmacAlias};
  }
  Result<void, std::string> release(const VmacLink& link) override {
    ops.push_back("release " + link.name);
    if (link.owned) links.erase(link.name);
    return {};
  }
  std::map<std::string, LinkFacts> links;
  std::vector<std::string> ops;
  int next_ifindex{10};
  bool fail{false};
};

struct VmacHost {
  VmacHost(lan::Lan& lan, test::ManualTimers& timers, const std::string& addr, int prio, const std::string& extra = "")
      : sockets(lan, ip(addr)), arp(timers) {
    auto c = make(" priority " + std::to_string(prio) + "\n version 3\n advert_int 0.1\n use_vmac\n" + extra +
                  "\n virtual_ipaddress {\n 192.0.2.100/24\n }");
    EXPECT_TRUE(c);
    c->router.primary_address = ip(addr);
    std::vector<InstanceConfig> configs;
    configs.push_back(*c);
    Service::Options options;
    options.resolve = [c = *c](const std::string&) { return std::optional<InstanceConfig>(c); };
    service = std::make_unique<Service>(std::move(configs),
                                        Service::Ports{sockets, vips, arp, scripts, timers, log, nullptr, nullptr, &vmacs},
                                        std::move(options));
  }
  const Instance& instance() const { return *service->instances().front(); }
  lan::LanSockets sockets;
  test::FakeVips vips;
  test::FakeArp arp;
  test::FakeScripts scripts;
  test::RecordingLog log;
  FakeVmacs vmacs;
  std::unique_ptr<Service> service;
};

class VmacLan : public ::testing::Test {
 protected:
  static bool up(int) { return true; }
  test::ManualTimers timers;
  lan::Lan lan{timers};
};

TEST_F(VmacLan, InstancesRunOnTheirVmacAndReleaseIt) {
  VmacHost a{lan, timers, "192.0.2.11", 150};
  VmacHost b{lan, timers, "192.0.2.12", 100};
  a.service->start(up);
  b.service->start(up);
  timers.advance(2s);
  EXPECT_EQ(a.instance().state(), State::master);
  EXPECT_EQ(b.instance().state(), State::backup);
  EXPECT_THAT(a.vmacs.ops, ElementsAre("create vrrp.51"));
  // The socket, the VIP and the gratuitous ARPs are on the macvlan (index 10).
  EXPECT_EQ(a.sockets.last->config().ifindex, 10);
  EXPECT_EQ(a.sockets.last->config().ifname, "vrrp.51");
  ASSERT_EQ(a.vips.installed.size(), 1u);
  EXPECT_EQ(a.vips.installed[0].ifindex, 10);
  EXPECT_EQ(a.vips.installed[0].dev, "vrrp.51");
  ASSERT_FALSE(a.arp.sent.empty());
  EXPECT_EQ(a.arp.sent[0].ifindex, 10);
  EXPECT_TRUE(a.log.contains("created VMAC interface vrrp.51 (00:00:5e:00:01:33) on eth0"));

  // The base going down is a FAULT; back up, the instance returns.
  a.service->on_link({2, "eth0", false});
  EXPECT_EQ(a.instance().state(), State::fault);
  timers.advance(1s);
  EXPECT_EQ(b.instance().state(), State::master);
  a.service->on_link({2, "eth0", true});
  timers.advance(2s);
  EXPECT_EQ(a.instance().state(), State::master);
  // So is the macvlan itself going down.
  a.service->on_link({10, "vrrp.51", false});
  EXPECT_EQ(a.instance().state(), State::fault);

  b.service->stop();
  EXPECT_THAT(b.vmacs.ops, ElementsAre("create vrrp.51", "release vrrp.51"));
  EXPECT_TRUE(b.vmacs.links.empty());
  EXPECT_TRUE(b.vips.installed.empty());
}

TEST_F(VmacLan, AVmacDeletedByHandIsMadeAnew) {
  VmacHost a{lan, timers, "192.0.2.11", 150};
  a.service->start(up);
  timers.advance(2s);
  ASSERT_EQ(a.instance().state(), State::master);
  a.vmacs.links.erase("vrrp.51");
  a.service->on_link({10, "vrrp.51", false, true});
  timers.advance(2s);
  EXPECT_EQ(a.instance().state(), State::master);
  EXPECT_THAT(a.vmacs.ops, ElementsAre("create vrrp.51", "release vrrp.51", "create vrrp.51"));
  EXPECT_EQ(a.vips.installed.at(0).ifindex, 11);
  EXPECT_EQ(a.sockets.last->config().ifindex, 11);
}

TEST_F(VmacLan, ACrashedRunsVmacIsReusedAndSomeoneElsesNameSkipped) {
  VmacHost a{lan, timers, "192.0.2.11", 150};
  a.vmacs.links["vrrp.51"] = LinkFacts{4, false, false, 0, {}, ""};  // a dummy named so
  a.vmacs.links["vrrp1.51"] = LinkFacts{5, true, true, 2, vmac_address(51, Family::v4), kVmacAlias};
  a.service->start(up);
  timers.advance(2s);
  EXPECT_EQ(a.instance().state(), State::master);
  EXPECT_THAT(a.vmacs.ops, ElementsAre("reuse vrrp1.51"));
  EXPECT_EQ(a.vips.installed.at(0).ifindex, 5);
  EXPECT_TRUE(a.log.contains("interface vrrp.51 exists and is not its VMAC"));
  a.service->stop();
  EXPECT_EQ(a.vmacs.links.count("vrrp1.51"), 0u);  // ours: removed
  EXPECT_EQ(a.vmacs.links.count("vrrp.51"), 1u);
}

TEST_F(VmacLan, AnOperatorsMatchingMacvlanIsUsedAndLeft) {
  VmacHost a{lan, timers, "192.0.2.11", 150};
  a.vmacs.links["vrrp.51"] = LinkFacts{4, true, true, 2, vmac_address(51, Family::v4), ""};
  a.service->start(up);
  timers.advance(2s);
  EXPECT_EQ(a.instance().state(), State::master);
  a.service->stop();
  EXPECT_EQ(a.vmacs.links.count("vrrp.51"), 1u);
}

TEST_F(VmacLan, NoVmacMeansFault) {
  VmacHost a{lan, timers, "192.0.2.11", 150};
  a.vmacs.fail = true;
  a.service->start(up);
  timers.advance(2s);
  EXPECT_EQ(a.instance().state(), State::fault);
  EXPECT_TRUE(a.log.contains("use_vmac: Operation not permitted; the instance stays in FAULT"));
  EXPECT_TRUE(a.vips.installed.empty());
}

TEST_F(VmacLan, XmitBaseSendsOnTheBase) {
  VmacHost a{lan, timers, "192.0.2.11", 150, " vmac_xmit_base"};
  VmacHost b{lan, timers, "192.0.2.12", 100, " vmac_xmit_base"};
  a.service->start(up);
  b.service->start(up);
  timers.advance(2s);
  EXPECT_EQ(a.instance().state(), State::master);
  EXPECT_EQ(b.instance().state(), State::backup);
  EXPECT_EQ(a.sockets.last->config().ifindex, 2);
  EXPECT_EQ(a.vips.installed.at(0).ifindex, 10);
  EXPECT_EQ(a.arp.sent.at(0).ifindex, 10);
}

}  // namespace
}  // namespace vigil::vrrp::io
