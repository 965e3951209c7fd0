// no_accept: which addresses vigil's nftables table drops, and the script that installs it.
#include <gtest/gtest.h>

#include "conf/load.hpp"
#include "conf/model.hpp"
#include "conf/source.hpp"
#include "vrrpd/io/instance_config.hpp"
#include "vrrpd/io/vip_filter.hpp"
#include "vrrpd/tests/io_conf_util.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

using test::ip;

struct Loaded {
  conf::LoadResult r;
  std::vector<InstanceConfig> instances;
};

Loaded load(const std::string& text) {
  Loaded l{test::load_conf(text), {}};
  for (const auto& vi : l.r.config->vrrp_instances) {
    auto c = make_instance_config(vi, l.r.config->global, &test::test_host);
    EXPECT_TRUE(c) << c.error();
    if (c) l.instances.push_back(std::move(*c));
  }
  return l;
}

std::string instance(const std::string& name, int vrid, const std::string& extra, const std::string& vips) {
  return "vrrp_instance " + name + " {\n interface eth0\n virtual_router_id " + std::to_string(vrid) + "\n" + extra +
         " virtual_ipaddress {\n" + vips + " }\n}\n";
}

TEST(VipFilter, OnlyNoAcceptInstancesThatDoNotOwnTheirAddresses) {
  auto l = load(instance("A", 1, " no_accept\n", "  192.0.2.100/24\n  192.0.2.99/24\n") +
                instance("B", 2, "", "  192.0.2.101/24\n") +                          // accept (default)
                instance("C", 3, " no_accept\n priority 255\n", "  192.0.2.102/24\n") +  // the owner
                instance("D", 4, " strict_mode\n version 3\n virtual_ipaddress_excluded {\n  192.0.2.100/24\n }\n",
                         "  2001:db8::100/64\n"));
  const FilterSpec spec = filter_spec(l.instances, l.r.config->global);
  EXPECT_EQ(spec.table, "vigil");
  EXPECT_EQ(spec.priority, -1);
  EXPECT_FALSE(spec.counters);
  // Excluded addresses too; sorted, without duplicates; B (accept) and C (priority 255) not filtered.
  EXPECT_EQ(spec.v4, (std::vector<IpAddress>{ip("192.0.2.99"), ip("192.0.2.100")}));
  EXPECT_EQ(spec.v6, (std::vector<IpAddress>{ip("2001:db8::100")}));
}

TEST(VipFilter, AcceptOverridesStrictModeAndNothingToFilterIsEmpty) {
  auto l = load("global_defs {\n vrrp_strict\n}\n" + instance("A", 1, " accept\n version 3\n", "  192.0.2.100/24\n"));
  EXPECT_TRUE(filter_spec(l.instances, l.r.config->global).empty());
  auto strict = load("global_defs {\n vrrp_strict\n}\n" + instance("A", 1, " version 3\n", "  192.0.2.100/24\n"));
  EXPECT_FALSE(filter_spec(strict.instances, strict.r.config->global).empty());
}

TEST(VipFilter, TableSettingsFromGlobalDefs) {
  auto l = load("global_defs {\n nftables lb\n nftables_priority -150\n nftables_counters\n}\n" +
                instance("A", 1, " no_accept\n", "  192.0.2.100/24\n"));
  const FilterSpec spec = filter_spec(l.instances, l.r.config->global);
  EXPECT_EQ(spec.table, "lb");
  EXPECT_EQ(spec.priority, -150);
  EXPECT_TRUE(spec.counters);
}

TEST(VipFilter, InstallScriptReplacesTheTableInOneTransaction) {
  FilterSpec spec;
  spec.v4 = {ip("192.0.2.99"), ip("192.0.2.100")};
  spec.counters = true;
  EXPECT_EQ(nft_install_script(spec),
            "add table inet vigil\n"
            "delete table inet vigil\n"
            "table inet vigil {\n"
            "  set vips4 {\n"
            "    type ipv4_addr\n"
            "    elements = { 192.0.2.99, 192.0.2.100 }\n"
            "  }\n"
            "  set vips6 {\n"
            "    type ipv6_addr\n"
            "  }\n"
            "  chain input {\n"
            "    type filter hook input priority -1; policy accept;\n"
            "    ip daddr @vips4 counter drop\n"
            "    ip6 daddr @vips6 icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } counter accept\n"
            "    ip6 daddr @vips6 counter drop\n"
            "  }\n"
            "}\n");
  EXPECT_EQ(nft_remove_script("lb"), "add table inet lb\ndelete table inet lb\n");
}

}  // namespace
}  // namespace vigil::vrrp::io
