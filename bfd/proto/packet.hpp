// BFD Control packets (RFC 5880 §4.1), without authentication: vigil, like keepalived, runs
// asynchronous-mode sessions with no Auth Section (a packet that carries one is refused).
//
//  0                   1                   2                   3
//  |Vers |  Diag   |Sta|P|F|C|A|D|M|  Detect Mult  |    Length     |
//  |                       My Discriminator                        |
//  |                      Your Discriminator                       |
//  |                    Desired Min TX Interval                    |
//  |                   Required Min RX Interval                    |
//  |                 Required Min Echo RX Interval                 |
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "base/result.hpp"

namespace vigil::bfd {

// bfd.SessionState (§6.8.1), the Sta field.
enum class State : std::uint8_t { admin_down = 0, down = 1, init = 2, up = 3 };
std::string_view to_string(State s);  // "AdminDown", "Down", "Init", "Up"

// The Diag field (§4.1); values 9..31 are carried as they are.
enum class Diag : std::uint8_t {
  none = 0,
  control_detection_time_expired = 1,
  echo_function_failed = 2,
  neighbor_signaled_session_down = 3,
  forwarding_plane_reset = 4,
  path_down = 5,
  concatenated_path_down = 6,
  administratively_down = 7,
  reverse_concatenated_path_down = 8,
};
std::string_view to_string(Diag d);

inline constexpr std::size_t kControlPacketSize = 24;  // without an Auth Section
inline constexpr std::uint16_t kSingleHopPort = 3784;  // RFC 5881 §4
inline constexpr std::uint16_t kSourcePortMin = 49152;  // RFC 5881 §4: 49152..65535

struct ControlPacket {
  std::uint8_t version{1};
  Diag diag{Diag::none};
  State state{State::down};
  bool poll{}, final{}, control_plane_independent{}, auth_present{}, demand{}, multipoint{};
  std::uint8_t detect_mult{};
  std::uint32_t my_discriminator{}, your_discriminator{};
  std::uint32_t desired_min_tx_us{}, required_min_rx_us{}, required_min_echo_rx_us{};
  friend bool operator==(const ControlPacket&, const ControlPacket&) = default;
};

// The checks of §6.8.6 that need no session, in its order; one counter each.
enum class DecodeError : std::uint8_t {
  truncated,              // fewer than 24 bytes, or fewer than the Length field says
  bad_version,            // Vers != 1
  bad_length,             // Length < 24 (26 with A), or more than was received
  zero_detect_mult,
  multipoint,             // M set
  zero_my_discriminator,
  auth_unsupported,       // A set: vigil configures no authentication
  count_,
};
std::string_view to_string(DecodeError e);

std::array<std::byte, kControlPacketSize> encode(const ControlPacket& p);
Result<ControlPacket, DecodeError> decode(std::span<const std::byte> bytes);

}  // namespace vigil::bfd
