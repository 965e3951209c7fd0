// Read-back rendering: ipvsadm -Ln --exact text and JSON.
#include <gtest/gtest.h>

#include "ipvs_glue/model/format.hpp"
#include "test_util.hpp"

namespace vigil::ipvs {
namespace {
using test::dest;
using test::fwm;
using test::tcp;

TEST(FormatIpvsadm, MatchesIpvsadmColumns) {
  Service web = tcp("192.0.2.1", 80, "rr", {dest("10.0.0.3", 80, 1, ForwardMethod::route),
                                            dest("10.0.0.2", 80, 2)});
  web.dests[1].active_conns = 4;
  web.dests[1].inactive_conns = 12;
  Service p = tcp("192.0.2.1", 443, "wlc", {dest("10.0.0.2", 443)});
  p.flags.persistent = true;
  p.timeout = 300;
  p.netmask = 24;
  Service sh = tcp("2001:db8::1", 80, "sh", {dest("2001:db8::2", 80, 1, ForwardMethod::tunnel)});
  sh.flags.sched1 = sh.flags.sched2 = true;
  sh.flags.one_packet = true;
  Service mark = fwm(7, Family::v6, "rr");
  mark.flags.persistent = true;
  mark.timeout = 60;
  mark.netmask = 64;
  mark.pe_name = "sip";
  Service sctp = tcp("192.0.2.5", 132, "mh");
  sctp.key.protocol = Protocol::sctp;
  sctp.flags.sched2 = true;
  const IpvsTable t{{mark, sh, p, web, sctp}};
  EXPECT_EQ(format_ipvsadm(t, Info{0x010201, 4096}),
            "IP Virtual Server version 1.2.1 (size=4096)\n"
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
            "TCP  192.0.2.1:80 rr\n"
            "  -> 10.0.0.2:80                  Masq    2      4          12        \n"
            "  -> 10.0.0.3:80                  Route   1      0          0         \n"
            "TCP  192.0.2.1:443 wlc persistent 300 mask 255.255.255.0\n"
            "  -> 10.0.0.2:443                 Masq    1      0          0         \n"
            "SCTP 192.0.2.5:132 mh (mh-port)\n"
            "TCP  [2001:db8::1]:80 sh (sh-fallback,sh-port) ops\n"
            "  -> [2001:db8::2]:80             Tunnel  1      0          0         \n"
            "FWM  7 IPv6 rr persistent 60 mask 64 pe sip\n");
}

TEST(FormatIpvsadm, NoHeaderWithoutInfo) {
  EXPECT_EQ(format_ipvsadm({}, std::nullopt),
            "Prot LocalAddress:Port Scheduler Flags\n"
            "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n");
}

TEST(FormatJson, CarriesEveryField) {
  Service s = tcp("192.0.2.1", 80, "rr", {dest("10.0.0.2", 80, 2)});
  s.stats.inbytes = 1ull << 40;
  const auto j = format_json(IpvsTable{{s, fwm(3)}}, Info{0x010201, 4096});
  EXPECT_NE(j.find("\"version\":\"1.2.1\""), std::string::npos);
  EXPECT_NE(j.find("\"protocol\":\"TCP\",\"address\":\"192.0.2.1\",\"port\":80"), std::string::npos);
  EXPECT_NE(j.find("\"inbytes\":1099511627776"), std::string::npos);
  EXPECT_NE(j.find("\"forward\":\"Masq\",\"weight\":2"), std::string::npos);
  EXPECT_NE(j.find("\"family\":\"inet\",\"fwmark\":3"), std::string::npos);
  EXPECT_NE(j.find("\"netmask\":32"), std::string::npos);
  EXPECT_EQ(j.front(), '{');
  EXPECT_EQ(j.back(), '}');
}

}  // namespace
}  // namespace vigil::ipvs
