#include <gtest/gtest.h>

#include "conf_test_util.hpp"

namespace vigil::conf {
namespace {

using testing::has_diag;
using testing::load_text;

constexpr const char* kPair = R"(
global_defs {
    router_id lb1
    vrrp_version 3
}
vrrp_script chk { script "/bin/true"
  interval 2
  weight -20 }
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 0.1
    unicast_src_ip 10.0.0.1
    unicast_peer {
        10.0.0.2
    }
    virtual_ipaddress {
        192.168.1.10/24 dev eth0 label eth0:1
    }
    track_script {
        chk weight 10
    }
    notify_master "/etc/notify.sh master" root
}
virtual_server 192.168.1.10 80 {
    delay_loop 5
    lb_algo wrr
    lb_kind DR
    retry 4
    real_server 10.0.1.1 80 {
        weight 3
        HTTP_GET {
            url { path /health
              status_code 200-299 }
            connect_timeout 2
        }
    }
    real_server 10.0.1.2 80
    {
        TCP_CHECK { connect_port 8080 }
    }
}
)";

TEST(Parser, TypedModelOfARealisticFile) {
  auto r = load_text(kPair);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format_all();
  const Config& c = *r.config;
  EXPECT_EQ(*c.global.router_id, "lb1");
  ASSERT_EQ(c.vrrp_instances.size(), 1u);
  const auto& vi = c.vrrp_instances[0];
  EXPECT_EQ(vi.name.value, "VI_1");
  EXPECT_EQ(*vi.virtual_router_id, 51);
  EXPECT_EQ(*vi.priority, 150);
  EXPECT_EQ(*vi.advert_int_us, 100'000);
  EXPECT_EQ(*vi.version, 3);  // from global_defs vrrp_version
  EXPECT_EQ(vi.virtual_router_id.loc.line, 12u);
  ASSERT_EQ(vi.virtual_ipaddress.size(), 1u);
  EXPECT_EQ(vi.virtual_ipaddress[0].address.to_string(), "192.168.1.10/24");
  EXPECT_EQ(vi.virtual_ipaddress[0].label, "eth0:1");
  ASSERT_EQ(vi.unicast_peer.size(), 1u);
  ASSERT_EQ(vi.track_script.size(), 1u);
  EXPECT_EQ(*vi.track_script[0].weight, 10);
  EXPECT_EQ(vi.notify_master->command, "/etc/notify.sh master");
  EXPECT_EQ(vi.notify_master->user, "root");
  ASSERT_EQ(c.vrrp_scripts.size(), 1u);
  EXPECT_EQ(*c.vrrp_scripts[0].interval_us, 2'000'000);
  EXPECT_EQ(*c.vrrp_scripts[0].weight, -20);
}

TEST(Parser, InheritanceVirtualServerToRealServerToChecker) {
  auto r = load_text(kPair);
  ASSERT_TRUE(r.ok()) << r.diagnostics.format_all();
  const auto& vs = r.config->virtual_servers.at(0);
  EXPECT_EQ(*vs.lvs_sched, "wrr");
  EXPECT_EQ(vs.lvs_method->kind, LbKind::dr);
  ASSERT_EQ(vs.real_servers.size(), 2u);
  const auto& rs1 = vs.real_servers[0];
  EXPECT_EQ(*rs1.weight, 3);
  EXPECT_EQ(*rs1.delay_loop_us, 5'000'000);    // from the virtual server
  EXPECT_EQ(rs1.lvs_method->kind, LbKind::dr);  // from the virtual server
  const auto& http = static_cast<const HttpCheck&>(*rs1.checkers.at(0));
  EXPECT_EQ(http.kind, CheckerKind::http);
  EXPECT_EQ(*http.connect_timeout_us, 2'000'000);  // its own
  EXPECT_EQ(*http.retry, 4);                       // virtual server -> real server -> checker
  EXPECT_EQ(*http.delay_loop_us, 5'000'000);
  EXPECT_EQ(http.connect_ip->to_string(), "10.0.1.1");
  EXPECT_EQ(*http.connect_port, 80);
  ASSERT_EQ(http.url.size(), 1u);
  EXPECT_EQ(http.url[0].status_code, (std::vector<std::pair<int, int>>{{200, 299}}));
  const auto& rs2 = vs.real_servers[1];
  EXPECT_EQ(*rs2.weight, 1);  // default
  const auto& tcp = static_cast<const CheckCommon&>(*rs2.checkers.at(0));
  EXPECT_EQ(*tcp.connect_port, 8080);
  EXPECT_EQ(*tcp.connect_timeout_us, 5'000'000);  // default
}

TEST(Parser, DumpConfigResolvesInheritedValues) {
  auto r = load_text(kPair);
  const std::string json = to_json(*r.config);
  EXPECT_NE(json.find("\"lvs_sched\": \"wrr\""), std::string::npos);
  // The TCP_CHECK of the second server shows the retry it inherited from the virtual server.
  const auto tcp = json.find("\"type\": \"TCP_CHECK\"");
  ASSERT_NE(tcp, std::string::npos);
  EXPECT_NE(json.find("\"retry\": 4", tcp), std::string::npos);
  EXPECT_NE(json.find("\"connect_timeout\": 5", tcp), std::string::npos);
}

TEST(Parser, AllErrorsAreCollected) {
  auto r = load_text(
      "vrrp_instance A {\n interface eth0\n virtual_router_id 300\n priority 0\n}\n"
      "vrrp_instance B {\n interface eth0\n}\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_diag(r, Severity::error, 3, "out of range [1, 255]"));
  EXPECT_TRUE(has_diag(r, Severity::error, 4, "out of range [1, 255]"));
  EXPECT_TRUE(has_diag(r, Severity::error, 6, "has no virtual_router_id"));
}

TEST(Parser, UnknownKeywordWarnsWithSuggestion) {
  auto r = load_text("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n priorty 100\n}\n");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(has_diag(r, Severity::warning, 4, "did you mean 'priority'"));
}

TEST(Parser, UnknownBlockIsSkippedWhole) {
  auto r = load_text("no_such_block {\n a { b }\n c\n}\nglobal_defs {\n router_id x\n}\n");
  EXPECT_TRUE(r.ok()) << r.diagnostics.format_all();
  EXPECT_EQ(*r.config->global.router_id, "x");
  EXPECT_EQ(r.diagnostics.warning_count(), 1u);
}

TEST(Parser, AcceptedKeywordsWarn) {
  auto r = load_text("global_defs {\n vrrp_rt_priority 50\n}\n");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(has_diag(r, Severity::warning, 2, "accepted, not supported yet"));
}

TEST(Parser, DeprecatedAliasesSetTheSameField) {
  auto r = load_text(
      "virtual_server 10.0.0.1 80 {\n lb_algo rr\n lb_kind TUN type gue port 6080\n"
      " real_server 10.0.1.1 80 {\n  MISC_CHECK {\n   misc_path /bin/true\n   nb_get_retry 7\n  }\n }\n}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format_all();
  const auto& vs = r.config->virtual_servers[0];
  EXPECT_EQ(*vs.lvs_sched, "rr");
  EXPECT_EQ(vs.lvs_method->kind, LbKind::tun);
  EXPECT_EQ(vs.lvs_method->tun_type, TunType::gue);
  EXPECT_EQ(vs.lvs_method->tun_port, 6080);
  auto csum = load_text("virtual_server 10.0.0.1 80 {\n lvs_method TUN type gue port 6080 remcsum\n}\n");
  ASSERT_TRUE(csum.ok()) << csum.diagnostics.format_all();
  EXPECT_EQ(csum.config->virtual_servers[0].lvs_method->tun_csum, TunCsum::remcsum);
  EXPECT_EQ(*static_cast<const CheckCommon&>(*vs.real_servers[0].checkers[0]).retry, 7);
}

TEST(Parser, MissingCloseBraceIsReportedAtTheOpening) {
  auto r = load_text("global_defs {\n router_id x\n");
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(has_diag(r, Severity::error, 1, "missing '}'"));
}

TEST(Parser, ExtraCloseBrace) {
  auto r = load_text("global_defs {\n router_id x\n}\n}\n");
  EXPECT_TRUE(has_diag(r, Severity::error, 4, "unexpected '}'"));
}

TEST(Parser, KeywordThatTakesNoBlock) {
  auto r = load_text("global_defs {\n router_id x {\n }\n}\n");
  EXPECT_TRUE(has_diag(r, Severity::error, 2, "does not take a block"));
}

TEST(Parser, Ipv6VipImpliesVersion3) {
  auto r = load_text(
      "vrrp_instance A {\n interface eth0\n virtual_router_id 1\n virtual_ipaddress {\n  fd00::1/64\n }\n}\n");
  ASSERT_TRUE(r.ok()) << r.diagnostics.format_all();
  EXPECT_EQ(*r.config->vrrp_instances[0].version, 3);
  auto bad = load_text(
      "vrrp_instance A {\n interface eth0\n version 2\n virtual_router_id 1\n virtual_ipaddress {\n  fd00::1/64\n }\n}\n");
  EXPECT_TRUE(has_diag(bad, Severity::error, 3, "need version 3"));
}

TEST(Parser, AdvertIntRangeDependsOnVersion) {
  auto v2 = load_text("vrrp_instance A {\n interface eth0\n virtual_router_id 1\n advert_int 0.5\n}\n");
  EXPECT_TRUE(has_diag(v2, Severity::error, 4, "whole seconds"));
  auto v3 = load_text(
      "vrrp_instance A {\n interface eth0\n version 3\n virtual_router_id 1\n advert_int 41\n}\n");
  EXPECT_TRUE(has_diag(v3, Severity::error, 5, "0.01-40.95"));
}

TEST(Parser, DuplicateVridOnOneInterface) {
  auto r = load_text(
      "vrrp_instance A {\n interface eth0\n virtual_router_id 7\n}\n"
      "vrrp_instance B {\n interface eth0\n virtual_router_id 7\n}\n"
      "vrrp_instance C {\n interface eth1\n virtual_router_id 7\n}\n");
  EXPECT_TRUE(has_diag(r, Severity::error, 7, "already used on 'eth0'"));
  EXPECT_EQ(r.diagnostics.error_count(), 1u);
}

TEST(Parser, VirtualServerGroupRanges) {
  auto r = load_text(
      "virtual_server_group G {\n 10.0.0.1-9 80\n ae00::2-1f 443\n fwmark 5\n}\n"
      "virtual_server group G {\n real_server 10.0.1.1 80\n}\n");
  // mixed families in one group are reported
  EXPECT_TRUE(has_diag(r, Severity::error, 3, "mixes IPv4 and IPv6"));
  const auto& g = r.config->virtual_server_groups.at(0);
  ASSERT_EQ(g.entries.size(), 3u);
  EXPECT_EQ(g.entries[0].last.to_string(), "10.0.0.9");
  EXPECT_EQ(g.entries[1].last.to_string(), "ae00::1f");
  EXPECT_EQ(g.entries[2].fwmark, 5);
}

TEST(Parser, FamilyMismatchBetweenVirtualAndRealServer) {
  auto r = load_text("virtual_server 10.0.0.1 80 {\n real_server fd00::1 80\n}\n");
  EXPECT_TRUE(has_diag(r, Severity::error, 2, "not of the family"));
  auto tun = load_text("virtual_server 10.0.0.1 80 {\n lvs_method TUN\n real_server fd00::1 80\n}\n");
  EXPECT_TRUE(tun.ok()) << tun.diagnostics.format_all();
}

TEST(Parser, HostInterfacesAreWarningsNotErrors) {
  MemorySource src;
  src.add("/k.conf", "vrrp_instance A {\n interface nosuch0\n virtual_router_id 1\n}\n");
  LoadOptions o;
  o.config_id = "x";
  o.check_host_interfaces = true;
  o.host_interfaces = {"lo", "eth0"};
  auto r = load("/k.conf", src, o);
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(has_diag(r, Severity::warning, 2, "does not exist on this host"));
}

TEST(Parser, GarbageInputNeverCrashes) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk += static_cast<char>((i * 7919) % 256);
  auto r = load_text(junk);
  SUCCEED() << r.diagnostics.error_count();
}

TEST(Parser, DiagnosticsAreBounded) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "}\n";
  auto r = load_text(text);
  EXPECT_EQ(r.diagnostics.error_count(), 5000u);
  EXPECT_EQ(r.diagnostics.all().size(), Diagnostics::kMaxStored);
}

}  // namespace
}  // namespace vigil::conf
