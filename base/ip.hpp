// Address value types. sockaddr lives only in io/ code; these are plain values.
#pragma once
#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace vigil {

enum class Family : std::uint8_t { v4 = 4, v6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(std::uint32_t host_order);
  static IpAddress v6(const std::array<std::uint8_t, 16>& bytes);
  // Strict parse: dotted quad (no leading zeros ambiguity beyond inet_pton's rules) or RFC
  // 4291 text. No zone index, no surrounding brackets.
  static std::optional<IpAddress> parse(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::v4; }
  bool is_v6() const { return family_ == Family::v6; }
  const std::array<std::uint8_t, 16>& bytes() const { return bytes_; }  // v4 in [0..3]
  std::uint32_t v4_host_order() const;
  bool is_multicast() const;
  bool is_unspecified() const;
  bool is_link_local() const;
  std::string to_string() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;

 private:
  Family family_{Family::v4};
  std::array<std::uint8_t, 16> bytes_{};
};

struct Prefix {
  IpAddress address;
  std::uint8_t length{};
  // "addr" (full length) or "addr/len"; the length must fit the family.
  static std::optional<Prefix> parse(std::string_view text);
  std::string to_string() const;
  friend bool operator==(const Prefix&, const Prefix&) = default;
};

inline int max_prefix_length(Family f) { return f == Family::v4 ? 32 : 128; }

}  // namespace vigil
