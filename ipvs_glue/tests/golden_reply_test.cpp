// Golden bytes the other way: replies written by hand as the kernel sends them
// (ip_vs_genl_fill_service / _fill_dest / _fill_daemon, genlmsg_reply, netlink_ack), parsed.
// Little-endian host order, as in golden_request_test.cpp.
#include <gtest/gtest.h>

#include <bit>

#include "hex.hpp"
#include "ipvs_glue/codec/exchange.hpp"
#include "ipvs_glue/codec/genl.hpp"
#include "ipvs_glue/codec/ipvs.hpp"
#include "test_util.hpp"

namespace vigil::ipvs::codec {
namespace {
using test::hex;
using test::ip;

// A GET_SERVICE dump entry. The kernel nests STATS/STATS64 without NLA_F_NESTED.
const std::string kServiceReply =
    "9c000000 2200 0200 07000000 d2040000"  // len 156, IPVS, NLM_F_MULTI, seq 7, pid 1234
    "01 01 0000"                            // IPVS_CMD_NEW_SERVICE
    "8800 0180"                             // CMD_ATTR_SERVICE, len 136
    "0600 0100 0200 0000"                   // AF_INET
    "0600 0200 0600 0000"                   // TCP
    "1400 0300 c0000201 00000000 00000000 00000000"
    "0600 0400 0050 0000"                   // port 80
    "0800 0600 776c6300"                    // SCHED_NAME "wlc\0"
    "0c00 0700 03000000 ffffffff"           // FLAGS PERSISTENT|HASHED, mask ~0
    "0800 0800 2c010000"                    // TIMEOUT 300
    "0800 0900 ffffff00"                    // NETMASK 255.255.255.0
    "1800 0a00"                             // SVC_ATTR_STATS, len 24
    "0800 0100 04000000"                    //   CONNS u32 4
    "0c00 0400 00000000 01000000"           //   INBYTES u64 2^32
    "1c00 0c00"                             // SVC_ATTR_STATS64, len 28
    "0c00 0100 05000000 00000000"           //   CONNS u64 5
    "0c00 0400 00000000 02000000";          //   INBYTES u64 2^33

// A GET_DEST dump entry: an IPv6 tunnel destination of an IPv4 service.
const std::string kDestReply =
    "98000000 2200 0200 08000000 d2040000"  // len 152
    "05 01 0000"                            // IPVS_CMD_NEW_DEST
    "8400 0200"                             // CMD_ATTR_DEST, len 132
    "1400 0100 20010db8 00000000 00000000 00000002"  // ADDR 2001:db8::2
    "0600 0200 0050 0000"                   // PORT 80
    "0800 0300 02000000"                    // FWD_METHOD TUNNEL
    "0800 0400 05000000"                    // WEIGHT 5
    "0500 0d00 02000000"                    // TUN_TYPE GRE
    "0600 0e00 0000 0000"                   // TUN_PORT 0
    "0600 0f00 0100 0000"                   // TUN_FLAGS CSUM
    "0800 0500 00000000"                    // U_THRESH 0
    "0800 0600 00000000"                    // L_THRESH 0
    "0800 0700 03000000"                    // ACTIVE_CONNS 3
    "0800 0800 0c000000"                    // INACT_CONNS 12
    "0800 0900 01000000"                    // PERSIST_CONNS 1
    "0600 0b00 0a00 0000"                   // ADDR_FAMILY AF_INET6
    "0c00 0a00 0800 0200 4d000000";         // STATS { INPKTS u32 77 }

const std::string kDaemonReply =
    "54000000 2200 0200 09000000 00000000"  // len 84
    "09 01 0000"                            // IPVS_CMD_NEW_DAEMON
    "4000 0300"                             // CMD_ATTR_DAEMON, len 64
    "0800 0100 01000000"                    // STATE MASTER
    "0900 0200 65746830 00000000"           // MCAST_IFN "eth0"
    "0800 0300 07000000"                    // SYNC_ID 7
    "0600 0400 c005 0000"                   // SYNC_MAXLEN 1472
    "0600 0700 9022 0000"                   // MCAST_PORT 8848
    "0500 0800 01000000"                    // MCAST_TTL 1
    "0800 0500 e0000051";                   // MCAST_GROUP 224.0.0.81

genl::GenlMessage only_genl(const std::vector<std::byte>& datagram,
                            std::vector<genl::Message>& keep) {
  auto msgs = genl::split_messages(datagram);
  EXPECT_TRUE(msgs);
  keep = *msgs;
  EXPECT_EQ(keep.size(), 1u);
  auto g = genl::parse_genl(keep.at(0));
  EXPECT_TRUE(g);
  return *g;
}

class GoldenReply : public ::testing::Test {
 protected:
  void SetUp() override {
    if constexpr (std::endian::native != std::endian::little) GTEST_SKIP() << "little-endian bytes";
  }
  std::vector<genl::Message> keep_;
};

TEST_F(GoldenReply, Service) {
  const auto bytes = hex(kServiceReply);
  const auto g = only_genl(bytes, keep_);
  EXPECT_EQ(keep_[0].header.flags, genl::kFlagMulti);
  EXPECT_EQ(keep_[0].header.pid, 1234u);
  EXPECT_EQ(g.cmd, 1);
  auto s = decode_service(g);
  ASSERT_TRUE(s) << genl::to_string(s.error());
  EXPECT_EQ(s->key, ServiceKey::inet(Protocol::tcp, ip("192.0.2.1"), 80));
  EXPECT_EQ(s->scheduler, "wlc");
  EXPECT_TRUE(s->flags.persistent);
  EXPECT_TRUE(s->flags.hashed);
  EXPECT_EQ(s->timeout, 300u);
  EXPECT_EQ(s->netmask, std::optional<std::uint8_t>(24));
  EXPECT_EQ(s->stats.conns, 5u);  // STATS64 preferred over STATS
  EXPECT_EQ(s->stats.inbytes, 1ull << 33);
}

TEST_F(GoldenReply, Dest) {
  const auto bytes = hex(kDestReply);
  auto d = decode_dest(only_genl(bytes, keep_), Family::v4);
  ASSERT_TRUE(d) << genl::to_string(d.error());
  EXPECT_EQ(d->key(), (DestKey{ip("2001:db8::2"), 80}));  // ADDR_FAMILY wins
  EXPECT_EQ(d->method, ForwardMethod::tunnel);
  EXPECT_EQ(d->weight, 5);
  EXPECT_EQ(d->tun_type, TunnelType::gre);
  EXPECT_EQ(d->tun_flags, kTunFlagCsum);
  EXPECT_EQ(d->active_conns, 3u);
  EXPECT_EQ(d->inactive_conns, 12u);
  EXPECT_EQ(d->persist_conns, 1u);
  EXPECT_EQ(d->stats.inpkts, 77u);
}

TEST_F(GoldenReply, Daemon) {
  const auto bytes = hex(kDaemonReply);
  auto d = decode_daemon(only_genl(bytes, keep_));
  ASSERT_TRUE(d) << genl::to_string(d.error());
  EXPECT_EQ(d->state, SyncState::master);
  EXPECT_EQ(d->interface, "eth0");
  EXPECT_EQ(d->syncid, 7u);
  EXPECT_EQ(d->maxlen, 1472);
  EXPECT_EQ(d->port, 8848);
  EXPECT_EQ(d->ttl, 1);
  EXPECT_EQ(d->group, ip("224.0.0.81"));
}

TEST_F(GoldenReply, ConfigAndInfo) {
  const auto config = hex(
      "2c000000 2200 0000 0a000000 00000000 0c 01 0000"  // IPVS_CMD_SET_CONFIG reply
      "0800 0400 84030000 0800 0500 78000000 0800 0600 2c010000");  // 900 120 300
  auto t = decode_config(only_genl(config, keep_));
  ASSERT_TRUE(t);
  EXPECT_EQ(*t, (Timeouts{900, 120, 300}));
  const auto info = hex(
      "24000000 2200 0000 0b000000 00000000 0e 01 0000"  // IPVS_CMD_SET_INFO reply
      "0800 0100 01020100 0800 0200 00100000");           // version 1.2.1, size 4096
  auto i = decode_info(only_genl(info, keep_));
  ASSERT_TRUE(i);
  EXPECT_EQ(*i, (Info{0x010201, 4096}));
}

TEST_F(GoldenReply, FamilyId) {
  const auto reply = hex(
      "28000000 1000 0000 01000000 00000000 01 02 0000"  // CTRL_CMD_NEWFAMILY
      "0900 0200 49505653 00000000"                       // FAMILY_NAME "IPVS"
      "0600 0100 2200 0000");                             // FAMILY_ID 0x22
  auto id = genl::decode_family_id(only_genl(reply, keep_));
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, 0x22);
}

TEST_F(GoldenReply, AckAndErrors) {
  std::vector<std::byte> ack = hex(
      "24000000 0200 0001 05000000 00000000"  // NLMSG_ERROR, NLM_F_CAPPED
      "00000000"                              // error 0: an ACK
      "14000000 2200 0500 05000000 00000000");  // the request's header
  auto a = genl::parse_status(genl::split_messages(ack)->at(0));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->error, 0);
  const auto eexist = hex(
      "30000000 0200 0003 03000000 00000000"  // NLMSG_ERROR, CAPPED|ACK_TLVS
      "efffffff"                              // -EEXIST (-17)
      "68000000 2200 0500 03000000 00000000"  // the request's header only (capped)
      "0b00 0100 65786973 74730000");         // NLMSGERR_ATTR_MSG "exists"
  auto e = genl::parse_status(genl::split_messages(eexist)->at(0));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->error, -17);
  EXPECT_EQ(e->ext_message, "exists");
  const auto enoent = hex(
      "28000000 0200 0000 04000000 00000000"  // NLMSG_ERROR, not capped
      "feffffff"                              // -ENOENT
      "14000000 2200 0500 04000000 00000000 0f 01 0000");  // the whole request echoed
  auto n = genl::parse_status(genl::split_messages(enoent)->at(0));
  ASSERT_TRUE(n);
  EXPECT_EQ(n->error, -2);
  EXPECT_EQ(n->ext_message, "");
  const auto done = hex("14000000 0300 0200 07000000 00000000 00000000");  // NLMSG_DONE
  auto d = genl::parse_status(genl::split_messages(done)->at(0));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->error, 0);
}

// Writes sent without NLM_F_ACK (quiet) are answered only when they fail; the ACK of a
// later request says that the quiet ones before it succeeded.
TEST_F(GoldenReply, ExchangeCompletesQuietWritesAtTheNextAck) {
  genl::Exchange x;
  for (std::uint32_t seq : {1u, 2u, 3u}) x.expect(seq, genl::Exchange::Kind::quiet);
  x.expect(4, genl::Exchange::Kind::ack);
  x.expect(9, genl::Exchange::Kind::quiet);  // sent after seq 4: not covered by its ACK
  // seq 2 failed: EEXIST (-17), with the original header (capped).
  auto out = x.feed(hex("24000000 0200 0001 02000000 00000000 efffffff"
                        "14000000 2200 0100 02000000 00000000"));
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].seq, 2u);
  EXPECT_EQ((*out)[0].error, -17);
  EXPECT_EQ(x.pending(), 4u);
  out = x.feed(hex("24000000 0200 0001 04000000 00000000 00000000"
                   "14000000 2200 0500 04000000 00000000"));
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 3u);
  EXPECT_EQ((*out)[0].seq, 1u);
  EXPECT_EQ((*out)[1].seq, 3u);
  EXPECT_EQ((*out)[2].seq, 4u);
  for (const auto& o : *out) EXPECT_EQ(o.error, 0);
  EXPECT_EQ(x.pending(), 1u);
  EXPECT_TRUE(x.is_pending(9));
}

TEST_F(GoldenReply, ExchangeAssemblesAMultipartDump) {
  genl::Exchange x;
  x.expect(7, genl::Exchange::Kind::dump);
  x.expect(5, genl::Exchange::Kind::ack);
  // First datagram: one dump entry and the ACK of seq 5 (out of order is fine).
  auto first = hex(kServiceReply);
  const auto ack5 = hex("24000000 0200 0001 05000000 00000000 00000000"
                        "14000000 2200 0500 05000000 00000000");
  first.insert(first.end(), ack5.begin(), ack5.end());
  auto out = x.feed(first);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].seq, 5u);
  EXPECT_EQ((*out)[0].error, 0);
  // Second: another entry, flagged NLM_F_DUMP_INTR, then DONE.
  auto second = hex(kServiceReply);
  second[6] = std::byte{0x12};  // flags = MULTI | DUMP_INTR
  const auto done = hex("14000000 0300 0200 07000000 00000000 00000000");
  second.insert(second.end(), done.begin(), done.end());
  out = x.feed(second);
  ASSERT_TRUE(out);
  ASSERT_EQ(out->size(), 1u);
  EXPECT_EQ((*out)[0].seq, 7u);
  EXPECT_EQ((*out)[0].replies.size(), 2u);
  EXPECT_TRUE((*out)[0].interrupted);
  EXPECT_EQ(x.pending(), 0u);
  // A late message for nothing pending is counted, not an error.
  out = x.feed(done);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->empty());
  EXPECT_EQ(x.stray(), 1u);
  EXPECT_FALSE(genl::parse_genl(std::span<const std::byte>{}));  // no genl header
}

}  // namespace
}  // namespace vigil::ipvs::codec
