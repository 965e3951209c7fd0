// BFD Control packets: golden bytes both ways, every decode error, round trips.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "bfd/proto/packet.hpp"

namespace vigil::bfd {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  return out;
}

// Up, Poll, detect mult 3, discriminators 1 and 2, 50 ms both ways, no echo.
const std::vector<std::byte> kUpPoll = bytes({0x20, 0xe0, 0x03, 0x18,              //
                                              0x00, 0x00, 0x00, 0x01,              // my
                                              0x00, 0x00, 0x00, 0x02,              // your
                                              0x00, 0x00, 0xc3, 0x50,              // tx 50000
                                              0x00, 0x00, 0xc3, 0x50,              // rx 50000
                                              0x00, 0x00, 0x00, 0x00});            // echo

ControlPacket up_poll() {
  ControlPacket p;
  p.state = State::up;
  p.poll = true;
  p.detect_mult = 3;
  p.my_discriminator = 1;
  p.your_discriminator = 2;
  p.desired_min_tx_us = 50'000;
  p.required_min_rx_us = 50'000;
  return p;
}

TEST(BfdPacket, GoldenBytesBothWays) {
  const auto enc = encode(up_poll());
  EXPECT_EQ(std::vector<std::byte>(enc.begin(), enc.end()), kUpPoll);
  auto dec = decode(kUpPoll);
  ASSERT_TRUE(dec);
  EXPECT_EQ(*dec, up_poll());
}

TEST(BfdPacket, DiagAndEveryFlagBit) {
  ControlPacket p = up_poll();
  p.poll = false;
  p.final = true;
  p.control_plane_independent = true;
  p.demand = true;
  p.diag = Diag::neighbor_signaled_session_down;
  p.state = State::admin_down;
  const auto enc = encode(p);
  EXPECT_EQ(enc[0], std::byte{0x23});  // version 1, diag 3
  EXPECT_EQ(enc[1], std::byte{0x1a});  // AdminDown, F, C, D
  auto dec = decode(enc);
  ASSERT_TRUE(dec);
  EXPECT_EQ(*dec, p);
}

TEST(BfdPacket, LongerPacketsDecodeToTheirLength) {
  auto b = kUpPoll;
  b.push_back(std::byte{0});  // trailing byte beyond Length: ignored
  EXPECT_TRUE(decode(b));
}

struct Bad {
  const char* name;
  int offset, value;
  DecodeError error;
};

TEST(BfdPacket, EveryDecodeError) {
  const Bad cases[] = {
      {"version 0", 0, 0x00, DecodeError::bad_version},
      {"version 2", 0, 0x40, DecodeError::bad_version},
      {"length 23", 3, 23, DecodeError::bad_length},
      {"length 25", 3, 25, DecodeError::bad_length},  // more than received
      {"detect mult 0", 2, 0, DecodeError::zero_detect_mult},
      {"multipoint", 1, 0xe1, DecodeError::multipoint},
      {"auth bit without room for its section", 1, 0xe4, DecodeError::bad_length},
  };
  for (const auto& c : cases) {
    auto b = kUpPoll;
    b[static_cast<std::size_t>(c.offset)] = static_cast<std::byte>(c.value);
    auto r = decode(b);
    ASSERT_FALSE(r) << c.name;
    EXPECT_EQ(r.error(), c.error) << c.name;
  }
  auto zero_my = kUpPoll;
  zero_my[7] = std::byte{0};
  EXPECT_EQ(decode(zero_my).error(), DecodeError::zero_my_discriminator);
  // Auth with a length that covers it still fails: no authentication is configured.
  auto auth = kUpPoll;
  auth[1] = std::byte{0xe4};
  auth[3] = std::byte{26};
  auth.resize(26);
  EXPECT_EQ(decode(auth).error(), DecodeError::auth_unsupported);
  for (std::size_t n = 0; n < kControlPacketSize; ++n)
    EXPECT_EQ(decode(std::span(kUpPoll).first(n)).error(), DecodeError::truncated) << n;
}

TEST(BfdPacket, RandomValidPacketsRoundTrip) {
  std::mt19937 rng(7);
  for (int i = 0; i < 10'000; ++i) {
    ControlPacket p;
    p.diag = static_cast<Diag>(rng() % 32);
    p.state = static_cast<State>(rng() % 4);
    p.poll = rng() & 1;
    p.final = !p.poll && (rng() & 1);
    p.control_plane_independent = rng() & 1;
    p.demand = rng() & 1;
    p.detect_mult = static_cast<std::uint8_t>(1 + rng() % 255);
    p.my_discriminator = 1 + rng() % 0xfffffffe;
    p.your_discriminator = static_cast<std::uint32_t>(rng());
    p.desired_min_tx_us = static_cast<std::uint32_t>(rng());
    p.required_min_rx_us = static_cast<std::uint32_t>(rng());
    p.required_min_echo_rx_us = static_cast<std::uint32_t>(rng());
    auto dec = decode(encode(p));
    ASSERT_TRUE(dec);
    ASSERT_EQ(*dec, p);
  }
}

TEST(BfdPacket, Names) {
  EXPECT_EQ(to_string(State::admin_down), "AdminDown");
  EXPECT_EQ(to_string(Diag::control_detection_time_expired), "Control Detection Time Expired");
  EXPECT_EQ(to_string(static_cast<Diag>(20)), "Unknown Diagnostic");
  for (int e = 0; e < static_cast<int>(DecodeError::count_); ++e)
    EXPECT_NE(to_string(static_cast<DecodeError>(e)), "?");
}

}  // namespace
}  // namespace vigil::bfd
