// conf::VrrpInstance -> InstanceConfig: keepalived's defaults, the host's facts, the options.
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "conf/load.hpp"
#include "conf/model.hpp"
#include "conf/source.hpp"
#include "vrrpd/io/instance_config.hpp"
#include "vrrpd/io/scripts.hpp"
#include "vrrpd/tests/io_conf_util.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp::io {
namespace {

using namespace std::chrono_literals;
using test::ip;
using ::testing::ElementsAre;

conf::LoadResult load(const std::string& text) { return test::load_conf(text); }

Result<InstanceConfig, std::string> make(const std::string& text) {
  auto r = load(text);
  return make_instance_config(r.config->vrrp_instances.at(0), r.config->global, &test::test_host);
}

TEST(InstanceConfig, KeepalivedDefaultsAndTheInterfacesPrimaryAddress) {
  auto c = make(R"(vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        192.0.2.100/24
        192.0.2.101 dev eth1 scope link label eth1:vip brd 192.0.2.255
    }
})");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->name, "VI_1");
  EXPECT_EQ(c->ifindex, 2);
  EXPECT_EQ(c->router.version, Version::v2);
  EXPECT_EQ(c->router.priority, 100);
  EXPECT_EQ(c->router.advertisement_interval, Centiseconds{100});
  EXPECT_EQ(c->router.primary_address, ip("192.0.2.11"));
  EXPECT_THAT(c->router.addresses, ElementsAre(ip("192.0.2.100"), ip("192.0.2.101")));
  EXPECT_TRUE(c->router.preempt);
  EXPECT_TRUE(c->router.accept);
  EXPECT_THAT(c->destinations, ElementsAre(ip("224.0.0.18")));
  ASSERT_EQ(c->vips.size(), 2u);
  EXPECT_EQ(c->vips[0].ifindex, 2);
  EXPECT_EQ(c->vips[0].address.length, 24);
  EXPECT_EQ(c->vips[1].dev, "eth1");
  EXPECT_EQ(c->vips[1].ifindex, 3);
  EXPECT_EQ(c->vips[1].scope, 253);
  EXPECT_EQ(c->vips[1].label, "eth1:vip");
  EXPECT_EQ(c->vips[1].broadcast, ip("192.0.2.255"));
  EXPECT_EQ(c->garp.delay, 5s);
  EXPECT_EQ(c->garp.repeat, 5u);
  EXPECT_EQ(c->decode.auth->type, AuthType::none);
}

TEST(InstanceConfig, V2PassAuthenticationIsPaddedToEightBytes) {
  auto c = make(R"(vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress { 192.0.2.100 }
})");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->router.auth.type, AuthType::pass);
  EXPECT_EQ(c->router.auth.data[0], std::byte{'s'});
  EXPECT_EQ(c->router.auth.data[5], std::byte{'t'});
  EXPECT_EQ(c->router.auth.data[6], std::byte{0});
  EXPECT_EQ(c->decode.auth->type, AuthType::pass);
}

TEST(InstanceConfig, V3UnicastPreemptDelayGarpAndNotify) {
  auto c = make(R"(vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    version 3
    priority 150
    advert_int 0.1
    nopreempt
    preempt_delay 2
    no_accept
    unicast_src_ip 192.0.2.21
    unicast_peer {
        192.0.2.22
        192.0.2.23
    }
    garp_master_delay 1
    garp_master_repeat 2
    garp_master_refresh 30
    garp_interval 0.01
    notify_master "/usr/local/bin/up.sh 'a b' c"
    notify /bin/n
    virtual_ipaddress { 192.0.2.100 }
})");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->router.version, Version::v3);
  EXPECT_EQ(c->router.priority, 150);
  EXPECT_EQ(c->router.advertisement_interval, Centiseconds{10});
  EXPECT_FALSE(c->router.preempt);
  EXPECT_EQ(c->router.preempt_delay, 2s);
  EXPECT_FALSE(c->router.accept);
  EXPECT_EQ(c->router.primary_address, ip("192.0.2.21"));
  EXPECT_THAT(c->destinations, ElementsAre(ip("192.0.2.22"), ip("192.0.2.23")));
  EXPECT_EQ(c->peers.size(), 2u);
  EXPECT_EQ(c->garp.delay, 1s);
  EXPECT_EQ(c->garp.repeat, 2u);
  EXPECT_EQ(c->garp.refresh, 30s);
  EXPECT_EQ(c->garp.interval, 10ms);
  EXPECT_THAT(c->notify.master, ElementsAre("/usr/local/bin/up.sh", "a b", "c"));
  EXPECT_THAT(c->notify.notify, ElementsAre("/bin/n"));
  EXPECT_FALSE(c->decode.auth.has_value());
}

TEST(InstanceConfig, Ipv6UsesTheLinkLocalSourceAndTheIpv6Group) {
  auto c = make(R"(vrrp_instance VI_6 {
    interface eth0
    virtual_router_id 52
    virtual_ipaddress { 2001:db8::100/64 }
})");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->router.version, Version::v3);
  EXPECT_EQ(c->router.primary_address, ip("fe80::11"));
  EXPECT_THAT(c->destinations, ElementsAre(ip("ff02::12")));
}

TEST(InstanceConfig, AMissingInterfaceIsNotAnErrorButHasNoIndex) {
  auto c = make(R"(vrrp_instance VI_1 {
    interface nosuch0
    virtual_router_id 51
    virtual_ipaddress { 192.0.2.100 }
})");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->ifindex, 0);
  EXPECT_TRUE(c->router.primary_address.is_unspecified());
}

TEST(InstanceConfig, ScopesByNameAndNumber) {
  EXPECT_EQ(parse_scope(""), 0);
  EXPECT_EQ(parse_scope("global"), 0);
  EXPECT_EQ(parse_scope("site"), 200);
  EXPECT_EQ(parse_scope("link"), 253);
  EXPECT_EQ(parse_scope("host"), 254);
  EXPECT_EQ(parse_scope("nowhere"), 255);
  EXPECT_EQ(parse_scope("17"), 17);
  EXPECT_EQ(parse_scope("256"), std::nullopt);
  EXPECT_EQ(parse_scope("galaxy"), std::nullopt);
}

TEST(SplitCommand, WordsAndQuotes) {
  EXPECT_THAT(split_command("/bin/x  a\t'b c' \"d 'e'\" f\"g h\""),
              ElementsAre("/bin/x", "a", "b c", "d 'e'", "fg h"));
  EXPECT_TRUE(split_command("   ").empty());
  EXPECT_THAT(split_command("''"), ElementsAre(""));
}

TEST(TrackingConfig, WeightsComeFromTheReferenceTheScriptOrTheFile) {
  auto r = load(R"(vrrp_script chk {
    script "/bin/chk arg"
    interval 2
    weight -20
    rise 3
    fall 2
}
vrrp_script unused {
    script "/bin/unused"
}
track_file tf {
    file "/run/prio"
    init_file 5 overwrite
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_interface {
        eth1
        eth2 weight -10
    }
    track_script {
        chk
    }
    track_file {
        tf weight 2 reverse
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
)");
  const auto items = track_items(*r.config, r.config->vrrp_instances.at(0));
  EXPECT_THAT(items, ElementsAre(TrackItem{TrackKind::interface, "eth1", 0, false},
                                 TrackItem{TrackKind::interface, "eth2", -10, false},
                                 TrackItem{TrackKind::script, "chk", -20, false},
                                 TrackItem{TrackKind::file, "tf", 2, true}));
  const auto scripts = script_specs(*r.config);
  ASSERT_EQ(scripts.size(), 1u);  // only the tracked one
  EXPECT_EQ(scripts[0].name, "chk");
  EXPECT_THAT(scripts[0].argv, ElementsAre("/bin/chk", "arg"));
  EXPECT_EQ(scripts[0].interval, 2s);
  EXPECT_EQ(scripts[0].timeout, 2s);  // the interval, when not given
  EXPECT_EQ(scripts[0].rise, 3);
  EXPECT_EQ(scripts[0].fall, 2);
  const auto files = file_specs(*r.config);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].path, "/run/prio");
  EXPECT_EQ(files[0].init_value, 5);
  EXPECT_TRUE(files[0].init_overwrite);
}

TEST(TrackingConfig, SyncGroupMembersTrackWithoutWeightAndInheritTheGroupsObjects) {
  auto r = load(R"(vrrp_script chk {
    script "/bin/chk"
    weight -20
}
vrrp_sync_group G {
    group {
        VI_1
        VI_2
    }
    track_interface {
        eth1
    }
    notify_master "/bin/gm"
    notify "/bin/gn"
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    track_script {
        chk
    }
    virtual_ipaddress {
        192.0.2.100/24
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 52
    virtual_ipaddress {
        192.0.2.101/24
    }
}
)");
  const auto& vi = r.config->vrrp_instances.at(0);
  EXPECT_THAT(track_items(*r.config, vi),
              ElementsAre(TrackItem{TrackKind::script, "chk", 0, false},
                          TrackItem{TrackKind::interface, "eth1", 0, false}));
  auto c = make_instance_config(vi, r.config->global, &test::test_host);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->sync_group, "G");
  EXPECT_TRUE(c->router.sync_group);
  const auto groups = sync_groups(*r.config);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_THAT(groups[0].members, ElementsAre("VI_1", "VI_2"));
  EXPECT_THAT(groups[0].notify.master, ElementsAre("/bin/gm"));
  EXPECT_THAT(groups[0].notify.notify, ElementsAre("/bin/gn"));
}

TEST(TrackingConfig, StaticAddressesNeedAKnownDevice) {
  auto r = load(R"(static_ipaddress {
    198.51.100.5/24 dev eth1
}
)");
  auto st = static_addresses(*r.config, &test::test_host);
  ASSERT_TRUE(st) << st.error();
  ASSERT_EQ(st->size(), 1u);
  EXPECT_EQ((*st)[0].ifindex, 3);
  EXPECT_EQ(to_string((*st)[0]), "198.51.100.5/24 dev eth1");
}

}  // namespace
}  // namespace vigil::vrrp::io

namespace vigil::vrrp::io {
namespace {

// script_user: the script's own `user [group]` first, then global_defs script_user, then
// vigil's own user (no credentials); an unknown user refuses the script.
TEST(ScriptUser, TheScriptsOwnUserThenScriptUserThenOurs) {
  auto r = load(R"(global_defs {
    script_user nobody
}
vrrp_script chk {
    script "/bin/true"
    user root
}
vrrp_script other {
    script "/bin/false"
}
vrrp_script lost {
    script "/bin/true"
    user no-such-user-vigil
}
vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    notify_master "/bin/master arg"
    notify_backup "/bin/backup" root
    notify "/bin/notify"
    track_script {
        chk
        other
        lost
    }
})");
  const auto& cfg = *r.config;
  auto c = make_instance_config(cfg.vrrp_instances.at(0), cfg.global, &test::test_host);
  ASSERT_TRUE(c) << c.error();
  ASSERT_TRUE(c->notify.as.master);
  EXPECT_EQ(c->notify.as.master->user, "nobody");
  EXPECT_NE(c->notify.as.master->uid, 0U);
  EXPECT_THAT(c->notify.master, ElementsAre("/bin/master", "arg"));
  // root is who the tests run as (no credentials to change), or someone else's root.
  EXPECT_TRUE(!c->notify.as.backup || c->notify.as.backup->uid == 0);
  ASSERT_TRUE(c->notify.as.notify);
  EXPECT_EQ(c->notify.as.notify->user, "nobody");

  std::vector<std::string> warnings;
  auto specs = script_specs(cfg, &warnings);
  ASSERT_EQ(specs.size(), 2U);  // lost is refused
  EXPECT_EQ(specs[0].name, "chk");
  EXPECT_TRUE(!specs[0].as || specs[0].as->uid == 0);
  EXPECT_EQ(specs[1].name, "other");
  ASSERT_TRUE(specs[1].as);
  EXPECT_EQ(specs[1].as->user, "nobody");
  ASSERT_EQ(warnings.size(), 1U);
  EXPECT_THAT(warnings[0], ::testing::HasSubstr("unknown user no-such-user-vigil"));
  // ...and the instance does not wait for it.
  auto items = track_items(cfg, cfg.vrrp_instances.at(0));
  EXPECT_EQ(items.size(), 2U);
}

TEST(ScriptUser, WithoutScriptUserScriptsRunAsUs) {
  auto c = make(R"(vrrp_instance VI_1 {
    interface eth0
    virtual_router_id 51
    notify_master /bin/master
})");
  ASSERT_TRUE(c) << c.error();
  EXPECT_FALSE(c->notify.as.master);
  EXPECT_THAT(c->notify.master, ElementsAre("/bin/master"));
}

// enable_script_security: a script run as root that anyone could replace is refused.
TEST(ScriptUser, ScriptSecurityRefusesAReplaceableRootScript) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (scripts owned by root)";
  char tmpl[] = "/tmp/vigil-sec-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  ::chmod(dir.c_str(), 0777);
  const std::string script = dir + "/notify.sh";
  { std::ofstream(script) << "#!/bin/sh\n"; }
  ::chmod(script.c_str(), 0755);
  auto c = make("global_defs {\n    enable_script_security\n}\nvrrp_instance VI_1 {\n    interface eth0\n"
                "    virtual_router_id 51\n    notify_master " + script + "\n    notify_backup /bin/true\n}\n");
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(c) << c.error();
  EXPECT_TRUE(c->notify.master.empty());
  EXPECT_THAT(c->notify.backup, ElementsAre("/bin/true"));
  ASSERT_EQ(c->warnings.size(), 1U);
  EXPECT_THAT(c->warnings[0], ::testing::HasSubstr("enable_script_security refuses it"));
}

}  // namespace
}  // namespace vigil::vrrp::io
