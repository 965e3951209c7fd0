// Malformed replies: every one is an error value (or, where the damage is in an optional
// field, a value), never a crash or a read out of bounds (run under ASan in asan-ubsan).
#include <gtest/gtest.h>

#include <random>

#include "hex.hpp"
#include "ipvs_glue/codec/exchange.hpp"
#include "ipvs_glue/codec/genl.hpp"
#include "ipvs_glue/codec/ipvs.hpp"
#include "test_util.hpp"

namespace vigil::ipvs::codec {
namespace {
using genl::DecodeError;
using test::dest;
using test::hex;
using test::tcp;

// Everything a reply can be parsed as; the result is ignored, only safety matters.
void parse_everything(std::span<const std::byte> bytes) {
  genl::Exchange x;
  for (std::uint32_t seq = 0; seq < 4; ++seq) x.expect(seq, genl::Exchange::Kind::dump);
  (void)x.feed(bytes);
  auto msgs = genl::split_messages(bytes);
  if (!msgs) return;
  for (const auto& m : *msgs) {
    (void)genl::parse_status(m);
    auto g = genl::parse_genl(m);
    if (!g) continue;
    (void)decode_service(*g);
    (void)decode_dest(*g, Family::v4);
    (void)decode_daemon(*g);
    (void)decode_config(*g);
    (void)decode_info(*g);
    (void)genl::decode_family_id(*g);
  }
}

// A realistic reply: a request message has the same layout as a dump entry.
std::vector<std::byte> sample() {
  Service s = tcp("192.0.2.1", 80, "wlc");
  s.pe_name = "sip";
  return encode(Request{0x22, 1}, append_new_service, s);
}

std::vector<std::byte> sample_dest() {
  Dest d = dest("10.0.0.2", 80, 1, ForwardMethod::tunnel);
  return encode(Request{0x22, 2}, append_new_dest, tcp("192.0.2.1", 80).key, d);
}

void set_u32(std::vector<std::byte>& b, std::size_t at, std::uint32_t v) {
  nl::Writer w;
  w.native(v);
  std::copy(w.view().begin(), w.view().end(), b.begin() + static_cast<long>(at));
}

TEST(Malformed, EveryTruncationIsAnError) {
  for (const auto& full : {sample(), sample_dest()}) {
    for (std::size_t n = 1; n < full.size(); ++n) {
      std::span<const std::byte> cut(full.data(), n);
      auto msgs = genl::split_messages(cut);
      EXPECT_FALSE(msgs) << n;  // nlmsg_len says more than there is
      parse_everything(cut);
    }
  }
}

TEST(Malformed, TruncatedAttributesWithConsistentHeader) {
  // Shorten the message and fix nlmsg_len so that only the attributes are cut short.
  const auto full = sample();
  for (std::size_t n = genl::kNlmsgHdrLen + genl::kGenlHdrLen; n < full.size(); ++n) {
    std::vector<std::byte> cut(full.begin(), full.begin() + static_cast<long>(n));
    set_u32(cut, 0, static_cast<std::uint32_t>(n));
    auto msgs = genl::split_messages(cut);
    ASSERT_TRUE(msgs);
    auto g = genl::parse_genl(msgs->at(0));
    ASSERT_TRUE(g);
    EXPECT_FALSE(decode_service(*g)) << n;  // the nested length overruns the message
  }
}

TEST(Malformed, HeaderLengthBelowHeaderSize) {
  auto b = sample();
  set_u32(b, 0, 8);
  EXPECT_EQ(genl::split_messages(b).error(), DecodeError::bad_length);
}

TEST(Malformed, AttributeLengthBelowHeaderSize) {
  auto b = sample();
  b[20] = std::byte{2};  // CMD_ATTR_SERVICE nla_len = 2
  b[21] = std::byte{0};
  auto g = genl::parse_genl(genl::split_messages(b)->at(0));
  ASSERT_TRUE(g);
  EXPECT_EQ(decode_service(*g).error(), DecodeError::bad_length);
}

TEST(Malformed, WrongSizedAttribute) {
  // SVC_ATTR_AF with a 4-byte payload instead of 2.
  const auto b = hex(
      "28000000 2200 0200 01000000 00000000 01 01 0000"
      "1400 0180 0800 0100 02000000 0800 0500 07000000");
  auto g = genl::parse_genl(genl::split_messages(b)->at(0));
  EXPECT_EQ(decode_service(*g).error(), DecodeError::bad_attribute);
}

TEST(Malformed, UnknownFamilyAndMissingKey) {
  const auto bad_af = hex(
      "28000000 2200 0200 01000000 00000000 01 01 0000"
      "1400 0180 0600 0100 0700 0000 0800 0500 07000000");  // AF 7
  EXPECT_EQ(decode_service(*genl::parse_genl(genl::split_messages(bad_af)->at(0))).error(),
            DecodeError::bad_value);
  const auto no_key = hex(
      "20000000 2200 0200 01000000 00000000 01 01 0000"
      "0c00 0180 0600 0100 0200 0000");  // AF only: no fwmark, no protocol/address/port
  EXPECT_EQ(decode_service(*genl::parse_genl(genl::split_messages(no_key)->at(0))).error(),
            DecodeError::missing_attribute);
  const auto no_service = hex("14000000 2200 0200 01000000 00000000 01 01 0000");
  EXPECT_EQ(decode_service(*genl::parse_genl(genl::split_messages(no_service)->at(0))).error(),
            DecodeError::missing_attribute);
}

TEST(Malformed, ErrorMessageTooShort) {
  const auto b = hex("14000000 0200 0000 01000000 00000000 0000");  // 2 bytes of payload
  EXPECT_FALSE(genl::split_messages(b));  // nlmsg_len 20 > 18 bytes present
  const auto c = hex("12000000 0200 0000 01000000 00000000 0000");
  auto m = genl::split_messages(c);
  ASSERT_TRUE(m);
  EXPECT_EQ(genl::parse_status(m->at(0)).error(), DecodeError::truncated);
  // ACK_TLVS claimed, but the echoed header is missing.
  const auto d = hex("14000000 0200 0002 01000000 00000000 efffffff");
  ASSERT_TRUE(genl::split_messages(d));
  EXPECT_EQ(genl::parse_status(genl::split_messages(d)->at(0)).error(), DecodeError::truncated);
}

TEST(Malformed, RandomGarbageAndBitFlips) {
  std::mt19937 rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::vector<std::byte> b(static_cast<std::size_t>(rng() % 200));
    for (auto& x : b) x = std::byte{static_cast<unsigned char>(rng())};
    if (b.size() >= 4 && (i % 2)) set_u32(b, 0, static_cast<std::uint32_t>(b.size()));
    parse_everything(b);
  }
  for (const auto& base : {sample(), sample_dest()}) {
    for (std::size_t at = 0; at < base.size(); ++at) {
      for (int bit = 0; bit < 8; ++bit) {
        auto b = base;
        b[at] ^= std::byte{static_cast<unsigned char>(1u << bit)};
        parse_everything(b);
      }
    }
  }
}

}  // namespace
}  // namespace vigil::ipvs::codec
