// use_vmac: the pure part (MAC, names, reuse, sysctls and their restoration, the IPv6
// link-local).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vrrpd/io/vmac.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

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

}  // namespace
}  // namespace vigil::vrrp::io
