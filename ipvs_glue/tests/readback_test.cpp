// Read-back beyond the plain table: ipvsadm's other listings (--stats, --rate, --thresholds,
// --persistent-conn, --tun-info, --daemon, --timeout, -c), its sort order, the connection
// table parser, and what the kernel keeps of a sync daemon start. The expected texts are
// ipvsadm 1.31's output on Debian's 6.1 kernel, copied from a VM run.
#include <gtest/gtest.h>

#include "ipvs_glue/model/connections.hpp"
#include "ipvs_glue/model/format.hpp"
#include "test_util.hpp"

namespace vigil::ipvs {
namespace {
using test::dest;
using test::ip;
using test::tcp;

// ipvsadm -A -t 1.2.3.4:80 -s rr, destinations -i gue/gre/ipip, one masq;
// ipvsadm -A -u [2001:db8::53]:53 -s lblcr -p 10 -M 96 with one -g destination.
IpvsTable sample() {
  Dest gue = dest("10.1.1.1", 80, 3, ForwardMethod::tunnel);
  gue.tun_type = TunnelType::gue;
  gue.tun_port = 6080;
  gue.tun_flags = kTunFlagRemCsum;
  gue.u_threshold = 10;
  gue.l_threshold = 2;
  Dest gre = dest("10.1.1.2", 80, 1, ForwardMethod::tunnel);
  gre.tun_type = TunnelType::gre;
  gre.tun_flags = kTunFlagCsum;
  Dest ipip = dest("10.1.1.3", 80, 1, ForwardMethod::tunnel);
  Dest gue0 = dest("10.1.1.4", 80, 1, ForwardMethod::tunnel);
  gue0.tun_type = TunnelType::gue;
  gue0.tun_port = 1;
  Service t = tcp("1.2.3.4", 80, "rr", {gue, gre, ipip, gue0, dest("10.1.1.5", 80)});
  Service u = tcp("2001:db8::53", 53, "lblcr", {dest("2001:db8::54", 53, 65535, ForwardMethod::route)});
  u.key.protocol = Protocol::udp;
  u.flags.persistent = true;
  u.timeout = 10;
  u.netmask = 96;
  return IpvsTable{{t, u}};
}

const Info kInfo{0x010201, 4096};

TEST(Listings, Stats) {
  EXPECT_EQ(format_ipvsadm(sample(), kInfo, ListFormat::stats),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
            "  -> RemoteAddress:Port\n"
            "TCP  1.2.3.4:80                          0        0        0        0        0\n"
            "  -> 10.1.1.1:80                         0        0        0        0        0\n"
            "  -> 10.1.1.2:80                         0        0        0        0        0\n"
            "  -> 10.1.1.3:80                         0        0        0        0        0\n"
            "  -> 10.1.1.4:80                         0        0        0        0        0\n"
            "  -> 10.1.1.5:80                         0        0        0        0        0\n"
            "UDP  [2001:db8::53]:53                   0        0        0        0        0\n"
            "  -> [2001:db8::54]:53                   0        0        0        0        0\n");
}

TEST(Listings, StatsAre64BitAndWidenLikeExact) {
  Service s = tcp("192.0.2.1", 80, "rr", {dest("10.0.0.1", 80)});
  s.stats = Stats{12345678, 123456789, 0, 1ull << 40, 18446744073709551615ull};
  s.dests[0].stats.conns = 99999999;
  EXPECT_EQ(format_ipvsadm(IpvsTable{{s}}, std::nullopt, ListFormat::stats),
            "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n"
            "  -> RemoteAddress:Port\n"
            "TCP  192.0.2.1:80                 12345678 123456789        0 1099511627776 18446744073709551615\n"
            "  -> 10.0.0.1:80                  99999999        0        0        0        0\n");
}

TEST(Listings, Rate) {
  Service s = tcp("192.0.2.1", 80, "rr", {dest("10.0.0.1", 80)});
  s.stats.cps = 5;
  s.stats.inbps = 1000;
  s.dests[0].stats.inpps = 7;
  s.dests[0].stats.outbps = 123456789;
  EXPECT_EQ(format_ipvsadm(IpvsTable{{s}}, std::nullopt, ListFormat::rate),
            "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n"
            "  -> RemoteAddress:Port\n"
            "TCP  192.0.2.1:80                        5        0        0     1000        0\n"
            "  -> 10.0.0.1:80                         0        7        0        0 123456789\n");
}

TEST(Listings, Thresholds) {
  const auto text = format_ipvsadm(sample(), std::nullopt, ListFormat::thresholds);
  EXPECT_EQ(text.substr(0, text.find("  -> 10.1.1.2")),
            "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n"
            "  -> RemoteAddress:Port\n"
            "TCP  1.2.3.4:80 rr\n"
            "  -> 10.1.1.1:80                  10         2          0          0         \n");
  EXPECT_NE(text.find("UDP  [2001:db8::53]:53 lblcr persistent 10 mask 96\n"
                      "  -> [2001:db8::54]:53            0          0          0          0         \n"),
            std::string::npos);
}

TEST(Listings, PersistentConn) {
  IpvsTable t = sample();
  t.services[1].dests[0].persist_conns = 4;
  t.services[1].dests[0].inactive_conns = 9;
  const auto text = format_ipvsadm(t, std::nullopt, ListFormat::persistent_conn);
  EXPECT_EQ(text.substr(0, text.find("  -> 10.1.1.2")),
            "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n"
            "  -> RemoteAddress:Port\n"
            "TCP  1.2.3.4:80 rr\n"
            "  -> 10.1.1.1:80                  3         0           0          0         \n");
  EXPECT_NE(text.find("  -> [2001:db8::54]:53            65535     4           0          9         \n"),
            std::string::npos);
}

TEST(Listings, TunInfo) {
  EXPECT_EQ(format_ipvsadm(sample(), std::nullopt, ListFormat::tun_info),
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
            "TCP  1.2.3.4:80 rr\n"
            "  -> 10.1.1.1:80                  Tunnel  gue:6080:r+c  3      0          0         \n"
            "  -> 10.1.1.2:80                  Tunnel  gre:+c        1      0          0         \n"
            "  -> 10.1.1.3:80                  Tunnel  ipip          1      0          0         \n"
            "  -> 10.1.1.4:80                  Tunnel  gue:1:-c      1      0          0         \n"
            "  -> 10.1.1.5:80                  Masq    n/a           1      0          0         \n"
            "UDP  [2001:db8::53]:53 lblcr persistent 10 mask 96\n"
            "  -> [2001:db8::54]:53            Route   n/a           65535  0          0         \n");
}

// ipvsadm's compare functions subtract 32-bit words into an int (192.0.2.1 sorts before
// 10.0.0.1; fwmark 4000000000 before 1 but after 2000000000, which is after 1: a cycle), and
// glibc's merge sort decides the rest, so the order depends on the kernel's dump order. The
// VM test checks the emulation against ipvsadm on the kernel's real order.
std::string order(const IpvsTable& t) {
  std::string out;
  const auto text = format_ipvsadm(t, std::nullopt);
  for (std::size_t at = text.find('\n', text.find('\n') + 1) + 1; at < text.size();) {
    const auto nl = text.find('\n', at);
    out += text.substr(at, nl - at) + ";";
    at = nl + 1;
  }
  return out;
}

TEST(Listings, SortsAsIpvsadmDoesIncludingWrapAround) {
  auto mark = [](std::uint32_t m) { return test::fwm(m, Family::v4, "rr"); };
  // Merge sort by hand: [1] + sort([4e9, 2e9]) = [1] + [2e9, 4e9] -> 1, 2e9, 4e9.
  EXPECT_EQ(order(IpvsTable{{mark(1), mark(4000000000u), mark(2000000000)}}),
            "FWM  1 rr;FWM  2000000000 rr;FWM  -294967296 rr;");
  // [4e9] + sort([1, 2e9]) = [4e9] + [1, 2e9]; 4e9 - 1 wraps negative -> 4e9, 1, 2e9.
  EXPECT_EQ(order(IpvsTable{{mark(4000000000u), mark(1), mark(2000000000)}}),
            "FWM  -294967296 rr;FWM  1 rr;FWM  2000000000 rr;");
  auto svc = [](const std::string& a) { return tcp(a, 80, "rr"); };
  // 0xC0000201 - 0x0A000001 does not fit an int: negative, 192.0.2.1 first.
  EXPECT_EQ(order(IpvsTable{{svc("10.0.0.1"), svc("192.0.2.1")}}),
            "TCP  192.0.2.1:80 rr;TCP  10.0.0.1:80 rr;");
  EXPECT_EQ(order(IpvsTable{{svc("127.0.0.1"), svc("10.0.0.1")}}),
            "TCP  10.0.0.1:80 rr;TCP  127.0.0.1:80 rr;");
  Service d = svc("10.0.0.1");
  for (const char* a : {"10.1.1.1", "200.1.1.1", "100.1.1.1"}) d.dests.push_back(dest(a, 80));
  // [10.1.1.1] + sort([200.1.1.1, 100.1.1.1]) = [10.1.1.1] + [100.1.1.1, 200.1.1.1]: 10 < 100.
  EXPECT_EQ(order(IpvsTable{{d}}),
            "TCP  10.0.0.1:80 rr;"
            "  -> 10.1.1.1:80                  Masq    1      0          0         ;"
            "  -> 100.1.1.1:80                 Masq    1      0          0         ;"
            "  -> 200.1.1.1:80                 Masq    1      0          0         ;");
  d.dests = {dest("200.1.1.1", 80), dest("10.1.1.1", 80)};  // 200 - 10 wraps: 200 first
  EXPECT_EQ(order(IpvsTable{{d}}),
            "TCP  10.0.0.1:80 rr;"
            "  -> 200.1.1.1:80                 Masq    1      0          0         ;"
            "  -> 10.1.1.1:80                  Masq    1      0          0         ;");
}

TEST(Listings, Daemons) {
  SyncDaemon m;
  m.interface = "dum0";
  m.syncid = 42;
  m.maxlen = 1400;
  m.group = ip("239.0.0.9");
  m.port = 8850;
  m.ttl = 3;
  SyncDaemon b;
  b.state = SyncState::backup;
  b.interface = "dum1";
  b.syncid = 7;
  b.group = ip("ff05::99");
  EXPECT_EQ(format_daemons({m, b}),
            "master sync daemon (mcast=dum0, syncid=42, maxlen=1400, group=239.0.0.9, port=8850, ttl=3)\n"
            "backup sync daemon (mcast=dum1, syncid=7, group=ff05::99)\n");
  EXPECT_EQ(format_daemons({}), "");
  EXPECT_EQ(format_daemons_json({b}),
            R"({"daemons":[{"state":"backup","interface":"dum1","syncid":7,"maxlen":0,"group":"ff05::99","port":0,"ttl":0}]})");
}

TEST(Listings, Timeouts) {
  EXPECT_EQ(format_timeouts({900, 120, 300}), "Timeout (tcp tcpfin udp): 900 120 300\n");
  EXPECT_EQ(format_timeouts_json({900, 120, 300}), R"({"tcp":900,"tcpfin":120,"udp":300})");
}

constexpr const char* kProcConn =
    "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
    "TCP 0A000302 C0DE 0A000364 0050 0A00030B 0050 FIN_WAIT        102\n"
    "UDP 2001:0db8:0000:0000:0000:0000:0000:0002 0035 2001:0db8:0000:0000:0000:0000:0000:0053 0035 "
    "2001:0db8:0000:0000:0000:0000:0000:0054 0035 UDP             299\n"
    "UDP 0A000102 13C4 0A000164 13C4 0A00020B 13C4 UDP            3599 sip abc@host\n";

TEST(Connections, ParsesTheProcFile) {
  const auto c = parse_ip_vs_conn(kProcConn);
  ASSERT_TRUE(c) << c.error();
  ASSERT_EQ(c->size(), 3u);
  EXPECT_EQ((*c)[0].protocol, "TCP");
  EXPECT_EQ((*c)[0].client, ip("10.0.3.2"));
  EXPECT_EQ((*c)[0].client_port, 0xC0DE);
  EXPECT_EQ((*c)[0].virtual_address, ip("10.0.3.100"));
  EXPECT_EQ((*c)[0].dest, ip("10.0.3.11"));
  EXPECT_EQ((*c)[0].state, "FIN_WAIT");
  EXPECT_EQ((*c)[0].expires, 102u);
  EXPECT_EQ((*c)[1].client, ip("2001:db8::2"));
  EXPECT_EQ((*c)[2].pe_name, "sip");
  EXPECT_EQ((*c)[2].pe_data, "abc@host");
  EXPECT_TRUE(parse_ip_vs_conn("header only\n")->empty());
  EXPECT_FALSE(parse_ip_vs_conn("h\nTCP 0A000302 C0DE\n"));
  EXPECT_FALSE(parse_ip_vs_conn("h\nTCP 0A0003 C0DE 0A000364 0050 0A00030B 0050 X 1\n"));
  EXPECT_FALSE(parse_ip_vs_conn("h\nTCP 0A000302 C0DEF 0A000364 0050 0A00030B 0050 X 1\n"));
}

TEST(Connections, FormatsAsIpvsadmLnc) {
  const auto c = parse_ip_vs_conn(kProcConn);
  ASSERT_TRUE(c);
  EXPECT_EQ(format_connections(*c, false),
            "IPVS connection entries\n"
            "pro expire state       source             virtual            destination\n"
            "TCP 01:42  FIN_WAIT    10.0.3.2:49374     10.0.3.100:80      10.0.3.11:80\n"
            "UDP 04:59  UDP         [2001:db8::2]:53   [2001:db8::53]:53  [2001:db8::54]:53\n"
            "UDP 59:59  UDP         10.0.1.2:5060      10.0.1.100:5060    10.0.2.11:5060\n");
  EXPECT_EQ(format_connections({}, true),
            "IPVS connection entries\n"
            "pro expire state       source             virtual            destination        pe name          pe_data\n");
  const auto j = format_connections_json(*c);
  EXPECT_NE(j.find(R"({"protocol":"TCP","client":"10.0.3.2","client_port":49374,"virtual":"10.0.3.100","virtual_port":80,"dest":"10.0.3.11","dest_port":80,"state":"FIN_WAIT","expires":102,"pe_name":"","pe_data":""})"),
            std::string::npos);
}

TEST(SyncDaemonKernelView, DefaultsAndClamping) {
  SyncDaemon m;
  m.interface = "eth0";
  const auto k = kernel_view(m);
  EXPECT_EQ(k.group, ip("224.0.0.81"));
  EXPECT_EQ(k.port, 8848);
  EXPECT_EQ(k.ttl, 1);
  EXPECT_EQ(k.maxlen, 1472);  // 1500 - IPv4 - UDP
  m.group = ip("ff02::82");
  EXPECT_EQ(kernel_view(m).maxlen, 1452);
  SyncDaemon b;
  b.state = SyncState::backup;
  b.maxlen = 1000;
  EXPECT_EQ(kernel_view(b).maxlen, 1024);  // a backup's minimum
  b.maxlen = 65535;
  EXPECT_EQ(kernel_view(b).maxlen, 65535 - 28);
  b.maxlen = 0;
  EXPECT_EQ(kernel_view(b).maxlen, 0);  // from the interface's MTU: unknown here
}

TEST(SyncDaemonKernelView, Satisfies) {
  SyncDaemon want;
  want.state = SyncState::backup;
  want.interface = "eth0";
  want.syncid = 3;
  SyncDaemon have = kernel_view(want);
  have.maxlen = 8972;  // jumbo MTU
  EXPECT_TRUE(sync_daemon_satisfies(have, want));
  want.maxlen = 1000;
  EXPECT_FALSE(sync_daemon_satisfies(have, want));
  have.maxlen = 1024;
  EXPECT_TRUE(sync_daemon_satisfies(have, want));
  have.syncid = 4;
  EXPECT_FALSE(sync_daemon_satisfies(have, want));
}

}  // namespace
}  // namespace vigil::ipvs
