// The Internet checksum (RFC 1071): the 16-bit one's complement of the one's complement sum.
// Sums are folded to 16 bits after each buffer, so several buffers (a pseudo-header,
// then the message) can be summed in sequence as long as each but the last has even length.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace vigil::vrrp {

// Adds data, as big-endian 16-bit words, to a running sum; returns the sum folded to 16 bits.
inline std::uint32_t ones_complement_add(std::span<const std::byte> data, std::uint32_t acc = 0) {
  std::uint64_t sum = acc;  // 64 bits: no overflow for any buffer that fits in memory
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2)
    sum += (std::to_integer<std::uint32_t>(data[i]) << 8) | std::to_integer<std::uint32_t>(data[i + 1]);
  if (i < data.size()) sum += std::to_integer<std::uint32_t>(data[i]) << 8;  // pad odd byte
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint32_t>(sum);
}

inline std::uint16_t fold_checksum(std::uint32_t acc) {
  while (acc > 0xffff) acc = (acc & 0xffff) + (acc >> 16);
  return static_cast<std::uint16_t>(~acc);
}

}  // namespace vigil::vrrp
