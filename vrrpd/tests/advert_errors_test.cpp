// Every DecodeError, produced by a message built for it and counted. Messages that must
// get past the checksum are built with encode_advert (which writes bad field values as
// given) or patched by hand and re-summed with the reference checksum.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "vrrpd/proto/advert.hpp"
#include "vrrpd/tests/test_util.hpp"

namespace vigil::vrrp {
namespace {

using test::hex;
using test::ip;

const PseudoHeader kPh4 = test::ph("10.0.0.1", "224.0.0.18");
const PseudoHeader kPh6 = test::ph("fe80::1", "ff02::12");

AuthData password(std::string_view pw) {
  AuthData d{};
  for (std::size_t i = 0; i < pw.size() && i < d.size(); ++i) d[i] = std::byte(pw[i]);
  return d;
}

Advert v3() {
  return Advert{.vrid = 7, .priority = 200, .addresses = {ip("10.0.0.100")}};
}
Advert v2(AuthType t = AuthType::pass, std::string_view pw = "secret") {
  return Advert{.version = Version::v2, .vrid = 51, .priority = 100,
                .max_adver_int = Centiseconds{100}, .auth_type = t,
                .auth_data = t == AuthType::pass ? password(pw) : AuthData{},
                .addresses = {ip("10.0.0.100")}};
}
template <class F>
std::vector<std::byte> encoded(Advert a, F&& change, const PseudoHeader& p = kPh4) {
  change(a);
  return encode_advert(a, p);
}
std::vector<std::byte> patched(std::vector<std::byte> b, std::size_t i, std::uint8_t v,
                               const PseudoHeader* p) {
  b[i] = std::byte{v};
  return test::with_checksum(std::move(b), p);
}
std::vector<std::byte> resized(std::vector<std::byte> b, std::size_t n, const PseudoHeader* p) {
  b.resize(n);
  return test::with_checksum(std::move(b), p);
}

struct Case {
  std::string name;
  std::vector<std::byte> bytes;
  PseudoHeader ph;
  DecodeOptions opts;
  DecodeError expected;
};

std::vector<Case> cases() {
  const auto good4 = encode_advert(v3(), kPh4);
  const auto good2 = encode_advert(v2(), kPh4);
  const V2Auth pass{AuthType::pass, password("secret")};
  auto flipped = good4;
  flipped[9] ^= std::byte{0x01};
  auto bad_sum2 = good2;
  bad_sum2[7] ^= std::byte{0xff};
  return {
      {"empty", {}, kPh4, {}, DecodeError::truncated},
      {"seven_bytes", hex("31 07 c8 01 00 64 11"), kPh4, {}, DecodeError::truncated},
      {"mixed_pseudo_header", good4, test::ph("10.0.0.1", "ff02::12"), {},
       DecodeError::family_mismatch},
      {"version_1", patched(good4, 0, 0x11, &kPh4), kPh4, {}, DecodeError::bad_version},
      {"version_4", patched(good4, 0, 0x41, &kPh4), kPh4, {}, DecodeError::bad_version},
      {"v2_over_ipv6", good2, kPh6, {}, DecodeError::v2_over_ipv6},
      {"flipped_address_bit", flipped, kPh4, {}, DecodeError::bad_checksum},
      {"v2_wrong_checksum", bad_sum2, kPh4, {}, DecodeError::bad_checksum},
      {"count_says_two", patched(good4, 3, 2, &kPh4), kPh4, {}, DecodeError::count_mismatch},
      {"trailing_bytes", resized(good4, good4.size() + 2, &kPh4), kPh4, {},
       DecodeError::count_mismatch},
      {"v2_without_auth_data", resized(good2, good2.size() - 8, nullptr), kPh4, {},
       DecodeError::count_mismatch},
      {"v6_count_vs_length", patched(encode_advert(Advert{.vrid = 1, .priority = 1,
                                                          .addresses = {ip("fe80::1")}},
                                                   kPh6),
                                     3, 0, &kPh6),
       kPh6, {}, DecodeError::count_mismatch},
      {"type_2", encoded(v3(), [](Advert& a) { a.type = 2; }), kPh4, {}, DecodeError::bad_type},
      {"type_0", encoded(v2(), [](Advert& a) { a.type = 0; }), kPh4, {}, DecodeError::bad_type},
      {"vrid_0", encoded(v3(), [](Advert& a) { a.vrid = 0; }), kPh4, {}, DecodeError::zero_vrid},
      {"v3_interval_0", encoded(v3(), [](Advert& a) { a.max_adver_int = {}; }), kPh4, {},
       DecodeError::zero_adver_int},
      {"v2_interval_0", encoded(v2(), [](Advert& a) { a.max_adver_int = {}; }), kPh4, {},
       DecodeError::zero_adver_int},
      {"v2_auth_ah", encode_advert(v2(AuthType::ah), kPh4), kPh4, {}, DecodeError::bad_auth_type},
      {"v2_auth_3", encode_advert(v2(AuthType{3}), kPh4), kPh4, {}, DecodeError::bad_auth_type},
      {"none_where_pass_expected", encode_advert(v2(AuthType::none), kPh4), kPh4,
       {.auth = pass}, DecodeError::auth_type_mismatch},
      {"pass_where_none_expected", good2, kPh4, {.auth = V2Auth{}},
       DecodeError::auth_type_mismatch},
      {"wrong_password", encode_advert(v2(AuthType::pass, "Secret"), kPh4), kPh4, {.auth = pass},
       DecodeError::auth_mismatch},
      {"password_prefix", encode_advert(v2(AuthType::pass, "secre"), kPh4), kPh4, {.auth = pass},
       DecodeError::auth_mismatch},
  };
}

class DecodeErrorCase : public ::testing::TestWithParam<Case> {};

TEST_P(DecodeErrorCase, IsRejectedForItsReason) {
  const Case& c = GetParam();
  EXPECT_EQ(decode_advert(c.bytes, c.ph, c.opts), unexpected(c.expected));
}

INSTANTIATE_TEST_SUITE_P(All, DecodeErrorCase, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

TEST(DecodeCounters, EveryReasonIsReachedAndCountedOnce) {
  DecodeCounters counters;
  const auto all = cases();
  for (const auto& c : all) {
    auto r = decode_advert(c.bytes, c.ph, c.opts);
    ASSERT_FALSE(r) << c.name;
    counters.add(r.error());
  }
  EXPECT_EQ(counters.total(), all.size());
  for (std::size_t i = 0; i < kDecodeErrorCount; ++i) {
    const auto e = static_cast<DecodeError>(i);
    std::size_t expected = 0;
    for (const auto& c : all) expected += c.expected == e;
    EXPECT_GE(expected, 1u) << "no test case for " << to_string(e);
    EXPECT_EQ(counters[e], expected) << to_string(e);
  }
}

TEST(DecodeError, NamesAreDistinct) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kDecodeErrorCount; ++i) {
    const auto name = to_string(static_cast<DecodeError>(i));
    EXPECT_NE(name, "unknown");
    names.insert(name);
  }
  EXPECT_EQ(names.size(), kDecodeErrorCount);
}

TEST(DecodeOptions, AuthNoneExpectedAcceptsNone) {
  const auto bytes = encode_advert(v2(AuthType::none), kPh4);
  EXPECT_EQ(decode_advert(bytes, kPh4, {.auth = V2Auth{}}), v2(AuthType::none));
}

TEST(DecodeOptions, V3IgnoresTheV2AuthExpectation) {
  const auto bytes = encode_advert(v3(), kPh4);
  EXPECT_EQ(decode_advert(bytes, kPh4, {.auth = V2Auth{AuthType::pass, password("x")}}), v3());
}

}  // namespace
}  // namespace vigil::vrrp
