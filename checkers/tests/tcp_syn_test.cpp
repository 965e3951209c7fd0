// The half-open probe's codec, golden bytes both ways: the SYN it sends (checksums worked out
// independently, see below) and the SYN-ACKs / RSTs it reads, with truncated and garbage
// input.
#include "checkers/core/tcp_syn.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <vector>

namespace vigil::checkers::syn {
namespace {

std::vector<std::byte> bytes(std::initializer_list<unsigned> v) {
  std::vector<std::byte> out;
  for (unsigned b : v) out.push_back(std::byte{static_cast<std::uint8_t>(b)});
  return out;
}

std::vector<std::byte> bytes(const SynBytes& s) { return {s.begin(), s.end()}; }

IpAddress ip(const char* text) { return *IpAddress::parse(text); }

const Syn kProbe{.src_port = 40000, .dst_port = 80, .seq = 0x01020304};

// The checksum by hand, as 16-bit words (RFC 1071):
//   pseudo-header  c000 0201 (192.0.2.1)  c633 6407 (198.51.100.7)  0006 (protocol)  0018 (24)
//   segment        9c40 0050 0102 0304 0000 0000 6002 ffff 0000 (checksum) 0000 0204 05b4
//   sum 0x3f4a8 -> folded 0xf4a8 + 0x3 = 0xf4ab -> complement 0x0b54.
TEST(TcpSyn, EncodesAnIpv4SynGolden) {
  const auto out = encode_syn(kProbe, PseudoHeader{ip("192.0.2.1"), ip("198.51.100.7")});
  EXPECT_EQ(bytes(out), bytes({0x9c, 0x40, 0x00, 0x50,  // ports 40000 -> 80
                               0x01, 0x02, 0x03, 0x04,  // seq
                               0x00, 0x00, 0x00, 0x00,  // ack
                               0x60, 0x02,              // data offset 6, SYN
                               0xff, 0xff,              // window 65535
                               0x0b, 0x54,              // checksum
                               0x00, 0x00,              // urgent pointer
                               0x02, 0x04, 0x05, 0xb4}));  // MSS 1460
}

// IPv6 (RFC 8200 §8.1: src, dst, 32-bit length 00000018, 000000, next header 06), by hand:
//   addresses 2001+0db8+0001 + 2001+0db8+0002 = 0x5b75, length 0x0018, next header 0x0006,
//   segment words as above (checksum 0) = 0x2084f; sum 0x263e2 -> 0x63e4 -> complement 0x9c1b.
TEST(TcpSyn, EncodesAnIpv6SynGolden) {
  const auto out = encode_syn(kProbe, PseudoHeader{ip("2001:db8::1"), ip("2001:db8::2")});
  EXPECT_EQ(bytes(out), bytes({0x9c, 0x40, 0x00, 0x50, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
                               0x60, 0x02, 0xff, 0xff, 0x9c, 0x1b, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4}));
}

TEST(TcpSyn, WithoutAPseudoHeaderTheChecksumIsLeftToTheKernel) {
  const auto out = encode_syn({.src_port = 40000, .dst_port = 80, .seq = 0xfffffffe, .mss = 536, .window = 1024}, {});
  EXPECT_EQ(bytes(out), bytes({0x9c, 0x40, 0x00, 0x50, 0xff, 0xff, 0xff, 0xfe, 0x00, 0x00, 0x00, 0x00,
                               0x60, 0x02, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x02, 0x18}));
}

TEST(TcpSyn, AFilledInChecksumVerifiesToZero) {
  for (const auto& ph : {PseudoHeader{ip("10.0.0.1"), ip("10.0.0.2")}, PseudoHeader{ip("::1"), ip("::1")},
                         PseudoHeader{ip("127.0.0.1"), ip("127.1.2.3")}}) {
    const auto out = encode_syn({.src_port = 1, .dst_port = 65535, .seq = 0xdeadbeef}, ph);
    EXPECT_EQ(tcp_checksum(out, ph), 0) << ph.src.to_string();
  }
  // ...and a wrong address does not.
  const auto out = encode_syn(kProbe, PseudoHeader{ip("192.0.2.1"), ip("198.51.100.7")});
  EXPECT_NE(tcp_checksum(out, PseudoHeader{ip("192.0.2.2"), ip("198.51.100.7")}), 0);
}

// A SYN-ACK as an IPv4 raw socket receives it, with 4 bytes of IP options (IHL 6), from
// 198.51.100.7:80 to 192.0.2.1:40000, answering kProbe (ack = ISS + 1), with an MSS option.
const std::vector<std::byte> kSynAckV4 = bytes({
    0x46, 0x00, 0x00, 0x30, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,  // v4, IHL 6, DF, TCP
    0xc6, 0x33, 0x64, 0x07, 0xc0, 0x00, 0x02, 0x01,                          // src, dst
    0x01, 0x01, 0x01, 0x00,                                                  // options: NOP NOP NOP EOL
    0x00, 0x50, 0x9c, 0x40, 0xa0, 0xb0, 0xc0, 0xd0, 0x01, 0x02, 0x03, 0x05,  // ports, seq, ack
    0x60, 0x12, 0xff, 0xd7, 0x12, 0x34, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4});

TEST(TcpSyn, ParsesAnIpv4SynAckHonouringTheHeaderLength) {
  const auto s = parse_segment(kSynAckV4, Framing::ipv4);
  ASSERT_TRUE(s) << to_string(s.error());
  EXPECT_EQ(*s, (Segment{.src = ip("198.51.100.7"),
                         .dst = ip("192.0.2.1"),
                         .src_port = 80,
                         .dst_port = 40000,
                         .seq = 0xa0b0c0d0,
                         .ack = 0x01020305,
                         .flags = kSyn | kAck,
                         .kind = Kind::syn_ack}));
  EXPECT_EQ(answer_to(*s, 0x01020304), Answer::up);
  EXPECT_EQ(answer_to(*s, 0x01020305), Answer::none);  // another probe's
}

// What a closed port answers (Linux's tcp_v4_send_reset): RST+ACK, seq 0, ack = ISS + 1.
TEST(TcpSyn, ParsesARefusal) {
  const auto rst = bytes({0x45, 0x00, 0x00, 0x28, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0x00, 0x00,
                          0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01,
                          0x1f, 0x41, 0x9c, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x05,
                          0x50, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00});
  const auto s = parse_segment(rst, Framing::ipv4);
  ASSERT_TRUE(s) << to_string(s.error());
  EXPECT_EQ(s->src, ip("127.0.0.1"));
  EXPECT_EQ(s->src_port, 8001);
  EXPECT_EQ(s->dst_port, 40000);
  EXPECT_EQ(s->kind, Kind::rst);
  EXPECT_EQ(answer_to(*s, 0x01020304), Answer::refused);
}

TEST(TcpSyn, ParsesAnIpv6ReceiveFromTheTcpHeader) {
  // The same SYN-ACK's TCP part: an IPv6 raw socket starts there.
  const std::span<const std::byte> tcp = std::span(kSynAckV4).subspan(24);
  const auto s = parse_segment(tcp, Framing::tcp);
  ASSERT_TRUE(s) << to_string(s.error());
  EXPECT_FALSE(s->src);
  EXPECT_EQ(s->src_port, 80);
  EXPECT_EQ(s->dst_port, 40000);
  EXPECT_EQ(s->ack, 0x01020305u);
  EXPECT_EQ(s->kind, Kind::syn_ack);
}

TEST(TcpSyn, ReadsBackItsOwnSyn) {
  const auto out = encode_syn(kProbe, PseudoHeader{ip("192.0.2.1"), ip("198.51.100.7")});
  const auto s = parse_segment(out, Framing::tcp);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->src_port, kProbe.src_port);
  EXPECT_EQ(s->dst_port, kProbe.dst_port);
  EXPECT_EQ(s->seq, kProbe.seq);
  EXPECT_EQ(s->flags, kSyn);
  EXPECT_EQ(s->kind, Kind::other);  // a SYN answers nothing
  EXPECT_EQ(answer_to(*s, kProbe.seq - 1), Answer::none);
}

// Control bits: only SYN+ACK and RST+ACK answer a SYN (RFC 9293 §3.10.7.3).
TEST(TcpSyn, ClassifiesByTheControlBits) {
  struct Case {
    std::uint8_t flags;
    Kind kind;
  };
  for (const Case c : {Case{kSyn | kAck, Kind::syn_ack}, Case{kRst | kAck, Kind::rst},
                       Case{kSyn | kAck | kRst, Kind::rst},  // RST is looked at first
                       Case{kRst, Kind::other},              // no ACK: cannot be acceptable
                       Case{kAck, Kind::other}, Case{kSyn, Kind::other}, Case{kFin | kAck, Kind::other},
                       Case{kSyn | kAck | kPsh, Kind::syn_ack}}) {
    auto tcp = std::vector<std::byte>(kSynAckV4.begin() + 24, kSynAckV4.end());
    tcp[13] = std::byte{c.flags};
    const auto s = parse_segment(tcp, Framing::tcp);
    ASSERT_TRUE(s);
    EXPECT_EQ(s->kind, c.kind) << int(c.flags);
  }
}

TEST(TcpSyn, TheAcceptableAckWrapsAround) {
  Segment s{.ack = 0, .flags = kSyn | kAck, .kind = Kind::syn_ack};
  EXPECT_EQ(answer_to(s, 0xffffffff), Answer::up);
  EXPECT_EQ(answer_to(s, 0), Answer::none);
}

TEST(TcpSyn, EveryTruncationIsRefused) {
  // The IPv4 framing needs IHL*4 + 20 bytes (options and payload may be cut: 44 is enough).
  for (std::size_t n = 0; n < 44; ++n) {
    const auto s = parse_segment(std::span(kSynAckV4).first(n), Framing::ipv4);
    ASSERT_FALSE(s) << n;
    EXPECT_EQ(s.error(), ParseError::truncated) << n;
  }
  EXPECT_TRUE(parse_segment(std::span(kSynAckV4).first(44), Framing::ipv4));
  for (std::size_t n = 0; n < 20; ++n) EXPECT_FALSE(parse_segment(std::span(kSynAckV4).subspan(24, n), Framing::tcp));
  EXPECT_TRUE(parse_segment(std::span(kSynAckV4).subspan(24, 20), Framing::tcp));
}

TEST(TcpSyn, GarbageIsRefusedWithItsReason) {
  auto with = [](std::size_t at, unsigned value) {
    auto v = kSynAckV4;
    v[at] = std::byte{static_cast<std::uint8_t>(value)};
    return parse_segment(v, Framing::ipv4);
  };
  EXPECT_EQ(with(0, 0x65).error(), ParseError::bad_ip_version);      // an IPv6 version nibble
  EXPECT_EQ(with(0, 0x44).error(), ParseError::bad_ip_header_length);  // IHL 4
  EXPECT_EQ(with(0, 0x4f).error(), ParseError::truncated);           // IHL 15: 60 bytes, not there
  EXPECT_EQ(with(9, 17).error(), ParseError::not_tcp);               // UDP
  EXPECT_EQ(with(7, 0x01).error(), ParseError::fragment);            // offset 8 bytes
  EXPECT_TRUE(with(6, 0x20));                                        // MF on the first fragment: fine
  EXPECT_EQ(with(36, 0x40).error(), ParseError::bad_data_offset);    // data offset 4
  const auto junk = bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff});
  EXPECT_EQ(parse_segment(junk, Framing::ipv4).error(), ParseError::bad_ip_version);
  const auto s = parse_segment(junk, Framing::tcp);  // every bit set: RST+ACK among them
  ASSERT_TRUE(s);
  EXPECT_EQ(s->kind, Kind::rst);
}

TEST(TcpSyn, ReadsTheQuoteOfAnIcmpError) {
  const auto out = encode_syn(kProbe, {});
  const auto q = parse_quoted(std::span(out).first(8));
  ASSERT_TRUE(q);
  EXPECT_EQ(*q, (Quoted{40000, 80, 0x01020304}));
  EXPECT_EQ(parse_quoted(std::span(out).first(7)).error(), ParseError::truncated);
}

}  // namespace
}  // namespace vigil::checkers::syn
