// Golden bytes for every request the codec builds, worked out by hand from the kernel's
// format (<linux/netlink.h>, <linux/genetlink.h>, <linux/ip_vs.h>). Netlink is host order:
// these are the bytes on a little-endian machine. Layout reminders:
//   nlmsghdr   = len u32, type u16 (the IPVS family id, 0x0022 here), flags u16, seq u32, pid u32
//   genlmsghdr = cmd u8, version u8 (1), reserved u16
//   nlattr     = len u16 (header + payload, before padding), type u16, payload, pad to 4
//   nested attributes carry NLA_F_NESTED (0x8000) in their type.
#include <gtest/gtest.h>

#include <bit>

#include "hex.hpp"
#include "ipvs_glue/codec/genl.hpp"
#include "ipvs_glue/codec/ipvs.hpp"
#include "test_util.hpp"

namespace vigil::ipvs::codec {
namespace {
using test::dest;
using test::hex;
using test::ip;
using test::tcp;
using test::to_hex;

const Request kReq{0x22, 1};

// The service key attributes of TCP 192.0.2.1:80, inside IPVS_CMD_ATTR_SERVICE.
constexpr std::string_view kTcpKey =
    "0600 0100 0200 0000"                           // SVC_ATTR_AF = AF_INET (2), 2 pad
    "0600 0200 0600 0000"                           // SVC_ATTR_PROTOCOL = IPPROTO_TCP (6)
    "1400 0300 c0000201 00000000 00000000 00000000"  // SVC_ATTR_ADDR: 16 bytes, 192.0.2.1
    "0600 0400 0050 0000";                          // SVC_ATTR_PORT = 80, big-endian

class Golden : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::endian::native != std::endian::little) GTEST_SKIP() << "little-endian bytes";
  }
  static void expect_bytes(const std::vector<std::byte>& got, const std::string& want) {
    EXPECT_EQ(to_hex(got), to_hex(hex(want)));
  }
};

TEST_F(Golden, NewService) {
  const Service s = tcp("192.0.2.1", 80, "rr");
  expect_bytes(encode(kReq, append_new_service, s),
               "68000000 2200 0500 01000000 00000000"  // len 104, IPVS, REQUEST|ACK, seq 1
               "01 01 0000"                            // IPVS_CMD_NEW_SERVICE, version 1
               "5400 0180" +                           // CMD_ATTR_SERVICE, nested, len 84
                   std::string(kTcpKey) +
                   "0700 0600 72720000"          // SVC_ATTR_SCHED_NAME "rr\0", 1 pad
                   "0c00 0700 00000000 ffffffff"  // SVC_ATTR_FLAGS {flags 0, mask ~0}
                   "0800 0800 00000000"           // SVC_ATTR_TIMEOUT 0
                   "0800 0900 ffffffff");         // SVC_ATTR_NETMASK 255.255.255.255
}

TEST_F(Golden, SetServicePersistentWithEngine) {
  Service s = tcp("192.0.2.1", 80, "sh");
  s.flags.persistent = s.flags.sched1 = true;
  s.flags.hashed = true;  // never sent: the kernel owns it
  s.timeout = 300;
  s.netmask = 24;
  s.pe_name = "sip";
  expect_bytes(encode(kReq, append_set_service, s),
               "70000000 2200 0500 01000000 00000000"  // len 112
               "02 01 0000"                            // IPVS_CMD_SET_SERVICE
               "5c00 0180" +                           // CMD_ATTR_SERVICE, len 92
                   std::string(kTcpKey) +
                   "0700 0600 73680000"           // SCHED_NAME "sh\0"
                   "0800 0b00 73697000"           // SVC_ATTR_PE_NAME "sip\0"
                   "0c00 0700 09000000 ffffffff"  // FLAGS: PERSISTENT|SCHED1 = 0x09
                   "0800 0800 2c010000"           // TIMEOUT 300 = 0x12c
                   "0800 0900 ffffff00");         // NETMASK 255.255.255.0, network order
}

TEST_F(Golden, NewServiceIpv6NetmaskIsPrefixLengthInHostOrder) {
  Service s;
  s.key = ServiceKey::inet(Protocol::udp, ip("2001:db8::1"), 53);
  s.scheduler = "wrr";
  s.netmask = 64;
  expect_bytes(encode(kReq, append_new_service, s),
               "68000000 2200 0500 01000000 00000000"
               "01 01 0000"
               "5400 0180"
               "0600 0100 0a00 0000"                           // AF_INET6 (10)
               "0600 0200 1100 0000"                           // IPPROTO_UDP (17)
               "1400 0300 20010db8 00000000 00000000 00000001"  // 2001:db8::1
               "0600 0400 0035 0000"                           // port 53
               "0800 0600 77727200"                            // "wrr\0"
               "0c00 0700 00000000 ffffffff"
               "0800 0800 00000000"
               "0800 0900 40000000");                          // prefix length 64, host order
}

TEST_F(Golden, DelServiceFwmarkOnlyKey) {
  expect_bytes(encode(kReq, append_del_service, ServiceKey::mark(Family::v6, 7)),
               "28000000 2200 0500 01000000 00000000"  // len 40
               "03 01 0000"                            // IPVS_CMD_DEL_SERVICE
               "1400 0180"                             // CMD_ATTR_SERVICE, len 20
               "0600 0100 0a00 0000"                   // AF_INET6
               "0800 0500 07000000");                  // SVC_ATTR_FWMARK 7
}

TEST_F(Golden, NewDest) {
  Dest d = dest("10.0.0.2", 8080, 3, ForwardMethod::route);
  d.u_threshold = 100;
  d.l_threshold = 10;
  expect_bytes(encode(kReq, append_new_dest, tcp("192.0.2.1", 80).key, d),
               "8c000000 2200 0500 01000000 00000000"  // len 140
               "05 01 0000"                            // IPVS_CMD_NEW_DEST
               "3000 0180" +                           // CMD_ATTR_SERVICE (key only), len 48
                   std::string(kTcpKey) +
                   "4800 0280"                                     // CMD_ATTR_DEST, len 72
                   "0600 0b00 0200 0000"                           // DEST_ATTR_ADDR_FAMILY AF_INET
                   "1400 0100 0a000002 00000000 00000000 00000000"  // DEST_ATTR_ADDR 10.0.0.2
                   "0600 0200 1f90 0000"                           // DEST_ATTR_PORT 8080
                   "0800 0300 03000000"                            // FWD_METHOD DROUTE (3)
                   "0800 0400 03000000"                            // WEIGHT 3
                   "0800 0500 64000000"                            // U_THRESH 100
                   "0800 0600 0a000000");                          // L_THRESH 10
}

TEST_F(Golden, SetDestTunnelCarriesTunnelAttributes) {
  Dest d = dest("10.0.0.2", 80, 1, ForwardMethod::tunnel);
  d.tun_type = TunnelType::gue;
  d.tun_port = 6080;
  d.tun_flags = kTunFlagRemCsum;
  expect_bytes(encode(kReq, append_set_dest, tcp("192.0.2.1", 80).key, d),
               "a4000000 2200 0500 01000000 00000000"  // len 164
               "06 01 0000"                            // IPVS_CMD_SET_DEST
               "3000 0180" +
                   std::string(kTcpKey) +
                   "6000 0280"                                     // CMD_ATTR_DEST, len 96
                   "0600 0b00 0200 0000"
                   "1400 0100 0a000002 00000000 00000000 00000000"
                   "0600 0200 0050 0000"
                   "0800 0300 02000000"  // FWD_METHOD TUNNEL (2)
                   "0800 0400 01000000"  // WEIGHT 1
                   "0500 0d00 01000000"  // DEST_ATTR_TUN_TYPE GUE (1), u8, 3 pad
                   "0600 0e00 17c0 0000"  // DEST_ATTR_TUN_PORT 6080, big-endian
                   "0600 0f00 0200 0000"  // DEST_ATTR_TUN_FLAGS REMCSUM (2)
                   "0800 0500 00000000"
                   "0800 0600 00000000");
}

TEST_F(Golden, DelDestKeysOnly) {
  expect_bytes(encode(kReq, append_del_dest, tcp("192.0.2.1", 80).key,
                      DestKey{ip("10.0.0.2"), 80}),
               "6c000000 2200 0500 01000000 00000000"  // len 108
               "07 01 0000"                            // IPVS_CMD_DEL_DEST
               "3000 0180" +
                   std::string(kTcpKey) +
                   "2800 0280"  // CMD_ATTR_DEST, len 40
                   "0600 0b00 0200 0000"
                   "1400 0100 0a000002 00000000 00000000 00000000"
                   "0600 0200 0050 0000");
}

TEST_F(Golden, Dumps) {
  // NLM_F_REQUEST | NLM_F_DUMP = 0x0301; no attributes for services and daemons.
  expect_bytes(encode(kReq, append_get_services),
               "14000000 2200 0103 01000000 00000000 04 01 0000");  // IPVS_CMD_GET_SERVICE
  expect_bytes(encode(kReq, append_get_daemons),
               "14000000 2200 0103 01000000 00000000 0b 01 0000");  // IPVS_CMD_GET_DAEMON
  expect_bytes(encode(kReq, append_get_dests, tcp("192.0.2.1", 80).key),
               "44000000 2200 0103 01000000 00000000"  // len 68
               "08 01 0000"                            // IPVS_CMD_GET_DEST
               "3000 0180" +
                   std::string(kTcpKey));
}

TEST_F(Golden, NewDaemonWithEveryOption) {
  SyncDaemon d;
  d.state = SyncState::master;
  d.interface = "eth0";
  d.syncid = 7;
  d.maxlen = 1400;
  d.group = ip("224.0.0.81");
  d.port = 8848;
  d.ttl = 2;
  expect_bytes(encode(kReq, append_new_daemon, d),
               "54000000 2200 0500 01000000 00000000"  // len 84
               "09 01 0000"                            // IPVS_CMD_NEW_DAEMON
               "4000 0380"                             // CMD_ATTR_DAEMON, len 64
               "0800 0100 01000000"                    // DAEMON_ATTR_STATE MASTER
               "0900 0200 65746830 00000000"           // DAEMON_ATTR_MCAST_IFN "eth0\0"
               "0800 0300 07000000"                    // DAEMON_ATTR_SYNC_ID 7
               "0600 0400 7805 0000"                   // DAEMON_ATTR_SYNC_MAXLEN 1400 (u16)
               "0800 0500 e0000051"                    // DAEMON_ATTR_MCAST_GROUP 224.0.0.81
               "0600 0700 9022 0000"                   // DAEMON_ATTR_MCAST_PORT 8848 (u16)
               "0500 0800 02000000");                  // DAEMON_ATTR_MCAST_TTL 2 (u8)
}

TEST_F(Golden, NewDaemonIpv6GroupAndDefaults) {
  SyncDaemon d;
  d.state = SyncState::backup;
  d.interface = "eth1";
  d.group = ip("ff02::81");
  expect_bytes(encode(kReq, append_new_daemon, d),
               "48000000 2200 0500 01000000 00000000"  // len 72
               "09 01 0000"
               "3400 0380"                                      // len 52
               "0800 0100 02000000"                             // STATE BACKUP
               "0900 0200 65746831 00000000"                    // "eth1\0"
               "0800 0300 00000000"                             // SYNC_ID 0
               "1400 0600 ff020000 00000000 00000000 00000081");  // MCAST_GROUP6 ff02::81
}

TEST_F(Golden, DelDaemon) {
  expect_bytes(encode(kReq, append_del_daemon, SyncState::backup),
               "20000000 2200 0500 01000000 00000000"  // len 32
               "0a 01 0000"                            // IPVS_CMD_DEL_DAEMON
               "0c00 0380 0800 0100 02000000");        // DAEMON { STATE BACKUP }
}

TEST_F(Golden, SetConfigTimeouts) {
  expect_bytes(encode(kReq, append_set_config, Timeouts{900, 30, 300}),
               "2c000000 2200 0500 01000000 00000000"  // len 44
               "0c 01 0000"                            // IPVS_CMD_SET_CONFIG
               "0800 0400 84030000"                    // CMD_ATTR_TIMEOUT_TCP 900
               "0800 0500 1e000000"                    // CMD_ATTR_TIMEOUT_TCP_FIN 30
               "0800 0600 2c010000");                  // CMD_ATTR_TIMEOUT_UDP 300
}

TEST_F(Golden, SingleGetsZeroFlush) {
  // Plain requests with an ACK asked for (0x0005), no attributes.
  expect_bytes(encode(kReq, append_get_config), "14000000 2200 0500 01000000 00000000 0d 01 0000");
  expect_bytes(encode(kReq, append_get_info), "14000000 2200 0500 01000000 00000000 0f 01 0000");
  expect_bytes(encode(kReq, append_flush), "14000000 2200 0500 01000000 00000000 11 01 0000");
  expect_bytes(encode(kReq, append_zero, std::optional<ServiceKey>{}),
               "14000000 2200 0500 01000000 00000000 10 01 0000");  // IPVS_CMD_ZERO, all
  expect_bytes(encode(kReq, append_zero, std::optional(tcp("192.0.2.1", 80).key)),
               "44000000 2200 0500 01000000 00000000 10 01 0000 3000 0180" + std::string(kTcpKey));
}

TEST_F(Golden, ControllerGetFamily) {
  expect_bytes(genl::encode_get_family(9, "IPVS"),
               "20000000 1000 0500 09000000 00000000"  // len 32, GENL_ID_CTRL, seq 9
               "03 01 0000"                            // CTRL_CMD_GETFAMILY, version 1
               "0900 0200 49505653 00000000");         // CTRL_ATTR_FAMILY_NAME "IPVS\0"
}

TEST_F(Golden, OpsEncodeAsTheirCommands) {
  const auto key = tcp("192.0.2.1", 80).key;
  const Request r{0x22, 5};
  EXPECT_EQ(encode(r, append_op, IpvsOp{DelService{key}}), encode(r, append_del_service, key));
  const Dest d = dest("10.0.0.2", 80);
  EXPECT_EQ(encode(r, append_op, IpvsOp{EditDest{key, d}}), encode(r, append_set_dest, key, d));
  // Appending concatenates whole messages (one send, many requests).
  nl::Writer w;
  append_op(w, r, AddDest{key, d});
  append_op(w, Request{0x22, 6}, DelDest{key, d.key()});
  auto msgs = genl::split_messages(w.view());
  ASSERT_TRUE(msgs);
  ASSERT_EQ(msgs->size(), 2u);
  EXPECT_EQ((*msgs)[0].header.seq, 5u);
  EXPECT_EQ((*msgs)[1].header.seq, 6u);
}

}  // namespace
}  // namespace vigil::ipvs::codec
