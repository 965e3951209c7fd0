#include "bfd/proto/packet.hpp"

#include <algorithm>

#include "base/bytes.hpp"

namespace vigil::bfd {

std::string_view to_string(State s) {
  switch (s) {
    case State::admin_down: return "AdminDown";
    case State::down: return "Down";
    case State::init: return "Init";
    case State::up: return "Up";
  }
  return "?";
}

std::string_view to_string(Diag d) {
  switch (d) {
    case Diag::none: return "No Diagnostic";
    case Diag::control_detection_time_expired: return "Control Detection Time Expired";
    case Diag::echo_function_failed: return "Echo Function Failed";
    case Diag::neighbor_signaled_session_down: return "Neighbor Signaled Session Down";
    case Diag::forwarding_plane_reset: return "Forwarding Plane Reset";
    case Diag::path_down: return "Path Down";
    case Diag::concatenated_path_down: return "Concatenated Path Down";
    case Diag::administratively_down: return "Administratively Down";
    case Diag::reverse_concatenated_path_down: return "Reverse Concatenated Path Down";
  }
  return "Unknown Diagnostic";
}

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::truncated: return "truncated";
    case DecodeError::bad_version: return "bad version";
    case DecodeError::bad_length: return "bad length";
    case DecodeError::zero_detect_mult: return "zero detect multiplier";
    case DecodeError::multipoint: return "multipoint bit set";
    case DecodeError::zero_my_discriminator: return "zero My Discriminator";
    case DecodeError::auth_unsupported: return "authentication not configured";
    case DecodeError::count_: break;
  }
  return "?";
}

std::array<std::byte, kControlPacketSize> encode(const ControlPacket& p) {
  ByteWriter w(kControlPacketSize);
  w.u8(static_cast<std::uint8_t>((p.version & 0x7) << 5 | (static_cast<std::uint8_t>(p.diag) & 0x1f)));
  w.u8(static_cast<std::uint8_t>((static_cast<std::uint8_t>(p.state) & 0x3) << 6 | p.poll << 5 | p.final << 4 |
                                 p.control_plane_independent << 3 | p.auth_present << 2 | p.demand << 1 |
                                 static_cast<int>(p.multipoint)));
  w.u8(p.detect_mult);
  w.u8(static_cast<std::uint8_t>(kControlPacketSize));
  w.u32(p.my_discriminator);
  w.u32(p.your_discriminator);
  w.u32(p.desired_min_tx_us);
  w.u32(p.required_min_rx_us);
  w.u32(p.required_min_echo_rx_us);
  std::array<std::byte, kControlPacketSize> out{};
  const auto bytes = w.view();
  std::copy(bytes.begin(), bytes.end(), out.begin());
  return out;
}

Result<ControlPacket, DecodeError> decode(std::span<const std::byte> bytes) {
  ByteReader r(bytes);
  const auto b0 = r.u8(), b1 = r.u8(), mult = r.u8(), length = r.u8();
  const auto my = r.u32(), your = r.u32(), tx = r.u32(), rx = r.u32(), echo = r.u32();
  if (!echo) return std::unexpected(DecodeError::truncated);
  ControlPacket p;
  p.version = static_cast<std::uint8_t>(*b0 >> 5);
  p.diag = static_cast<Diag>(*b0 & 0x1f);
  p.state = static_cast<State>(*b1 >> 6);
  p.poll = *b1 & 0x20;
  p.final = *b1 & 0x10;
  p.control_plane_independent = *b1 & 0x08;
  p.auth_present = *b1 & 0x04;
  p.demand = *b1 & 0x02;
  p.multipoint = *b1 & 0x01;
  p.detect_mult = *mult;
  p.my_discriminator = *my;
  p.your_discriminator = *your;
  p.desired_min_tx_us = *tx;
  p.required_min_rx_us = *rx;
  p.required_min_echo_rx_us = *echo;
  if (p.version != 1) return std::unexpected(DecodeError::bad_version);
  if (*length < (p.auth_present ? 26 : kControlPacketSize) || *length > bytes.size())
    return std::unexpected(DecodeError::bad_length);
  if (p.detect_mult == 0) return std::unexpected(DecodeError::zero_detect_mult);
  if (p.multipoint) return std::unexpected(DecodeError::multipoint);
  if (p.my_discriminator == 0) return std::unexpected(DecodeError::zero_my_discriminator);
  if (p.auth_present) return std::unexpected(DecodeError::auth_unsupported);
  return p;
}

}  // namespace vigil::bfd
