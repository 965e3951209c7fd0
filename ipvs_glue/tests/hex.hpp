// Hex helpers for golden-byte tests: expected bytes are written as commented hex strings.
#pragma once
#include <cstddef>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::ipvs::test {

// "68000000 2200" -> bytes; spaces ignored.
inline std::vector<std::byte> hex(std::string_view text) {
  std::vector<std::byte> out;
  int hi = -1;
  for (char c : text) {
    if (c == ' ' || c == '\n') continue;
    int v = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
    if (v < 0) throw std::invalid_argument("bad hex digit in test");
    if (hi < 0) {
      hi = v;
    } else {
      out.push_back(std::byte{static_cast<unsigned char>(hi << 4 | v)});
      hi = -1;
    }
  }
  if (hi >= 0) throw std::invalid_argument("odd number of hex digits in test");
  return out;
}

// Bytes as hex, four per group, for readable failure messages.
inline std::string to_hex(std::span<const std::byte> b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < b.size(); ++i) {
    if (i && i % 4 == 0) out += (i % 16 == 0) ? '\n' : ' ';
    const auto v = std::to_integer<unsigned>(b[i]);
    out += kDigits[v >> 4];
    out += kDigits[v & 15];
  }
  return out;
}

}  // namespace vigil::ipvs::test
