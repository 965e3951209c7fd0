// Golden bytes, both directions: encode(value) == bytes and decode(bytes) == value.
//
// How the checksums were obtained: each message was laid out by hand from RFC 3768 §5.1 /
// RFC 5798 §5.1, then summed as 16-bit big-endian words (pseudo-header first for v3), the sum
// folded and inverted. The v2 and v3 IPv4 sums are worked below; all three were cross-checked
// with a few lines of Python (struct.unpack('!%dH') + fold) and, in GoldenChecksumsAgree, with
// the reference routine in test_util.hpp, which shares no code with the codec.
#include <gtest/gtest.h>

#include "vrrpd/proto/advert.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp {
namespace {

using test::hex;
using test::ip;

AuthData password(std::string_view pw) {
  AuthData d{};
  for (std::size_t i = 0; i < pw.size() && i < d.size(); ++i) d[i] = std::byte(pw[i]);
  return d;
}

// v2, PASS "secret", VRID 51, priority 100, adver int 1 s, 192.168.1.100 and .101.
// Words: 2133 6402 0101 0000 c0a8 0164 c0a8 0165 7365 6372 6574 0000
// Sum 0x3469a -> fold 0x469d -> ~ 0xb962.
const PseudoHeader kV2Ph = test::ph("192.168.1.10", "224.0.0.18");
const char* const kV2Bytes =
    "21 33 64 02  01 01 b9 62"
    "c0 a8 01 64  c0 a8 01 65"
    "73 65 63 72  65 74 00 00";
Advert v2_advert() {
  return Advert{.version = Version::v2, .vrid = 51, .priority = 100,
                .max_adver_int = Centiseconds{100}, .auth_type = AuthType::pass,
                .auth_data = password("secret"),
                .addresses = {ip("192.168.1.100"), ip("192.168.1.101")}};
}

// v3 IPv4, VRID 7, priority 200, Max Adver Int 100 cs, 10.0.0.100; from 10.0.0.1 to 224.0.0.18.
// Pseudo-header words: 0a00 0001 e000 0012 0070 000c (zero+proto 112, length 12)
// Message words:       3107 c801 0064 0000 0a00 0064
// Sum 0x1ee5f -> fold 0xee60 -> ~ 0x119f. Without the pseudo-header (v3_checksum_as_v2) the
// sum is 0x103d0 -> fold 0x03d1 -> ~ 0xfc2e.
const PseudoHeader kV3Ph4 = test::ph("10.0.0.1", "224.0.0.18");
const char* const kV3v4Bytes = "31 07 c8 01  00 64 11 9f  0a 00 00 64";
const char* const kV3v4CompatBytes = "31 07 c8 01  00 64 fc 2e  0a 00 00 64";
Advert v3v4_advert() {
  return Advert{.version = Version::v3, .vrid = 7, .priority = 200,
                .max_adver_int = Centiseconds{100}, .addresses = {ip("10.0.0.100")}};
}

// v3 IPv6, VRID 10, priority 150, Max Adver Int 50 cs, fe80::10 (the link-local address comes
// first, RFC 5798 §5.2.9) and 2001:db8::10; from fe80::1 to ff02::12. The RFC 2460 pseudo-
// header carries upper-layer length 40 and next header 112. Checksum 0x0e38.
const PseudoHeader kV3Ph6 = test::ph("fe80::1", "ff02::12");
const char* const kV3v6Bytes =
    "31 0a 96 02  00 32 0e 38"
    "fe 80 00 00  00 00 00 00  00 00 00 00  00 00 00 10"
    "20 01 0d b8  00 00 00 00  00 00 00 00  00 00 00 10";
Advert v3v6_advert() {
  return Advert{.version = Version::v3, .vrid = 10, .priority = 150,
                .max_adver_int = Centiseconds{50},
                .addresses = {ip("fe80::10"), ip("2001:db8::10")}};
}

TEST(AdvertGolden, ChecksumsAgreeWithTheReferenceRoutine) {
  EXPECT_EQ(test::reference_checksum(hex(kV2Bytes), nullptr), 0);
  EXPECT_EQ(test::reference_checksum(hex(kV3v4Bytes), &kV3Ph4), 0);
  EXPECT_EQ(test::reference_checksum(hex(kV3v4CompatBytes), nullptr), 0);
  EXPECT_EQ(test::reference_checksum(hex(kV3v6Bytes), &kV3Ph6), 0);
}

TEST(AdvertGolden, V2PassEncodes) { EXPECT_EQ(encode_advert(v2_advert(), kV2Ph), hex(kV2Bytes)); }

TEST(AdvertGolden, V2PassDecodes) {
  const DecodeOptions opts{.auth = V2Auth{AuthType::pass, password("secret")}};
  EXPECT_EQ(decode_advert(hex(kV2Bytes), kV2Ph, opts), v2_advert());
  EXPECT_EQ(decode_advert(hex(kV2Bytes), kV2Ph), v2_advert());  // no auth expectation
}

TEST(AdvertGolden, V2ChecksumIgnoresTheIpHeader) {
  EXPECT_EQ(decode_advert(hex(kV2Bytes), test::ph("192.168.1.99", "192.168.1.11")), v2_advert());
}

TEST(AdvertGolden, V3Ipv4Encodes) {
  EXPECT_EQ(encode_advert(v3v4_advert(), kV3Ph4), hex(kV3v4Bytes));
}

TEST(AdvertGolden, V3Ipv4Decodes) {
  EXPECT_EQ(decode_advert(hex(kV3v4Bytes), kV3Ph4), v3v4_advert());
}

TEST(AdvertGolden, V3Ipv4ChecksumCoversThePseudoHeader) {
  // Same bytes, another destination (a unicast peer): the checksum no longer matches.
  EXPECT_EQ(decode_advert(hex(kV3v4Bytes), test::ph("10.0.0.1", "10.0.0.2")),
            unexpected(DecodeError::bad_checksum));
}

TEST(AdvertGolden, V3Ipv4ChecksumAsV2BothWays) {
  EXPECT_EQ(encode_advert(v3v4_advert(), kV3Ph4, {.v3_checksum_as_v2 = true}),
            hex(kV3v4CompatBytes));
  EXPECT_EQ(decode_advert(hex(kV3v4CompatBytes), kV3Ph4, {.v3_checksum_as_v2 = true}),
            v3v4_advert());
  // The knob is strict both ways: each checksum style is refused under the other.
  EXPECT_EQ(decode_advert(hex(kV3v4CompatBytes), kV3Ph4), unexpected(DecodeError::bad_checksum));
  EXPECT_EQ(decode_advert(hex(kV3v4Bytes), kV3Ph4, {.v3_checksum_as_v2 = true}),
            unexpected(DecodeError::bad_checksum));
}

TEST(AdvertGolden, V3Ipv6Encodes) {
  EXPECT_EQ(encode_advert(v3v6_advert(), kV3Ph6), hex(kV3v6Bytes));
  // The knob is IPv4 only: IPv6 always includes the pseudo-header.
  EXPECT_EQ(encode_advert(v3v6_advert(), kV3Ph6, {.v3_checksum_as_v2 = true}), hex(kV3v6Bytes));
}

TEST(AdvertGolden, V3Ipv6Decodes) {
  EXPECT_EQ(decode_advert(hex(kV3v6Bytes), kV3Ph6), v3v6_advert());
  EXPECT_EQ(decode_advert(hex(kV3v6Bytes), kV3Ph6, {.v3_checksum_as_v2 = true}), v3v6_advert());
}

// The receive path decodes every advert into one Advert: each decode leaves exactly what
// decode_advert returns (v2 fields cleared by a v3 advert), and the address storage is reused.
TEST(AdvertDecode, IntoAReusedAdvertGivesWhatDecodeGives) {
  Advert a;
  ASSERT_TRUE(decode_advert_into(hex(kV2Bytes), kV2Ph, {}, a));
  EXPECT_EQ(a, v2_advert());
  const auto* storage = a.addresses.data();
  ASSERT_TRUE(decode_advert_into(hex(kV3v4Bytes), kV3Ph4, {}, a));
  EXPECT_EQ(a, v3v4_advert());
  EXPECT_EQ(a.addresses.data(), storage);  // one address where there were two: no allocation
  EXPECT_EQ(decode_advert_into(hex(kV3v4Bytes), test::ph("10.0.0.1", "10.0.0.2"), {}, a),
            unexpected(DecodeError::bad_checksum));
  ASSERT_TRUE(decode_advert_into(hex(kV3v6Bytes), kV3Ph6, {}, a));
  EXPECT_EQ(a, v3v6_advert());
}

TEST(AdvertDecode, V3ReservedBitsAreIgnoredOnReceipt) {
  auto bytes = hex(kV3v4Bytes);
  bytes[4] |= std::byte{0xf0};  // RFC 5798 §5.2.6: "MUST be ignored by the receiver"
  EXPECT_EQ(decode_advert(test::with_checksum(bytes, &kV3Ph4), kV3Ph4), v3v4_advert());
}

TEST(AdvertDecode, ChecksumFieldOfAllOnesIsTheSameZero) {
  // In one's complement 0x0000 and 0xffff are both zero. Find the address whose low 16 bits
  // make the checksum come out as 0x0000 (one of the 65536 does), then spell it 0xffff.
  Advert a = v3v4_advert();
  for (std::uint32_t low = 0; low <= 0xffff; ++low) {
    a.addresses = {IpAddress::v4(0x0a000000 | low)};
    auto bytes = encode_advert(a, kV3Ph4);
    if (bytes[6] != std::byte{0} || bytes[7] != std::byte{0}) continue;
    bytes[6] = bytes[7] = std::byte{0xff};
    EXPECT_EQ(decode_advert(bytes, kV3Ph4), a);
    return;
  }
  FAIL() << "no address gives a zero checksum";
}

TEST(AdvertRoundTrip, Extremes) {
  std::vector<IpAddress> many;
  for (std::uint32_t i = 0; i < 255; ++i) many.push_back(IpAddress::v4(0x0a000000 + i));
  const std::vector<std::pair<Advert, PseudoHeader>> cases = {
      {Advert{.vrid = 255, .priority = 0, .max_adver_int = kMaxAdverIntV3, .addresses = many},
       kV3Ph4},
      {Advert{.vrid = 1, .priority = 255, .max_adver_int = Centiseconds{1}}, kV3Ph6},
      {Advert{.version = Version::v2, .vrid = 9, .priority = 1, .max_adver_int = kMaxAdverIntV2,
              .addresses = {ip("192.0.2.1")}},
       kV2Ph},
  };
  for (const auto& [a, p] : cases) {
    const auto bytes = encode_advert(a, p);
    EXPECT_EQ(decode_advert(bytes, p), a);
  }
}

TEST(AdvertEncode, RefusesWhatTheWireCannotCarry) {
  const auto v4 = v3v4_advert();
  auto too_long = v4;
  too_long.max_adver_int = kMaxAdverIntV3 + Centiseconds{1};
  auto v2_fraction = v2_advert();
  v2_fraction.max_adver_int = Centiseconds{150};
  auto too_many = v4;
  too_many.addresses.assign(256, ip("10.0.0.1"));
  auto bad_type = v4;
  bad_type.type = 16;
  EXPECT_FALSE(encodable(v4, kV3Ph6));                              // v4 addresses over v6
  EXPECT_FALSE(encodable(v4, test::ph("10.0.0.1", "ff02::12")));    // mixed pseudo-header
  EXPECT_FALSE(encodable(v2_advert(), test::ph("fe80::1", "ff02::12")));  // v2 over IPv6
  EXPECT_FALSE(encodable(too_long, kV3Ph4));
  EXPECT_FALSE(encodable(v2_fraction, kV2Ph));
  EXPECT_FALSE(encodable(too_many, kV3Ph4));
  EXPECT_FALSE(encodable(bad_type, kV3Ph4));
  EXPECT_THROW(encode_advert(too_long, kV3Ph4), std::invalid_argument);
  EXPECT_TRUE(encodable(v4, kV3Ph4));
}

}  // namespace
}  // namespace vigil::vrrp
