// Helpers shared by the vrrpd/proto tests. The checksum here is deliberately a separate,
// plain implementation (bytes -> 16-bit words -> sum -> fold -> invert) so that golden tests
// do not check the codec against itself.
#pragma once
#include <cstddef>
#include <cstdint>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.hpp"
#include "vrrpd/proto/advert.hpp"
#include "vrrpd/proto/events.hpp"

namespace vigil::vrrp::test {

inline IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  if (!a) throw std::invalid_argument("bad address in test: " + std::string(text));
  return *a;
}

inline PseudoHeader ph(std::string_view src, std::string_view dst) { return {ip(src), ip(dst)}; }

// "21 33 64" -> bytes; whitespace is ignored.
inline std::vector<std::byte> hex(std::string_view text) {
  std::vector<std::byte> out;
  std::string digits;
  for (char c : text)
    if (c != ' ' && c != '\n') digits += c;
  if (digits.size() % 2) throw std::invalid_argument("odd hex string");
  for (std::size_t i = 0; i < digits.size(); i += 2)
    out.push_back(static_cast<std::byte>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

inline std::vector<std::uint8_t> address_octets(const IpAddress& a) {
  const std::size_t n = a.is_v4() ? 4 : 16;
  return {a.bytes().begin(), a.bytes().begin() + static_cast<std::ptrdiff_t>(n)};
}

// Independent reference: the RFC 1071 checksum of pseudo-header (optional) + message.
inline std::uint16_t reference_checksum(const std::vector<std::byte>& msg, const PseudoHeader* p) {
  std::vector<std::uint8_t> buf;
  if (p) {
    auto s = address_octets(p->src), d = address_octets(p->dst);
    buf.insert(buf.end(), s.begin(), s.end());
    buf.insert(buf.end(), d.begin(), d.end());
    const auto len = msg.size();
    if (p->src.is_v4()) {
      buf.insert(buf.end(), {0, 112, std::uint8_t(len >> 8), std::uint8_t(len)});
    } else {
      buf.insert(buf.end(), {0, 0, std::uint8_t(len >> 8), std::uint8_t(len), 0, 0, 0, 112});
    }
  }
  for (auto b : msg) buf.push_back(std::to_integer<std::uint8_t>(b));
  if (buf.size() % 2) buf.push_back(0);
  unsigned long sum = 0;
  for (std::size_t i = 0; i < buf.size(); i += 2) sum += buf[i] * 256u + buf[i + 1];
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum & 0xffff);
}

// Zeroes the checksum field and writes the reference checksum: for hand-built bad packets.
inline std::vector<std::byte> with_checksum(std::vector<std::byte> msg, const PseudoHeader* p) {
  msg[6] = msg[7] = std::byte{0};
  const auto c = reference_checksum(msg, p);
  msg[6] = std::byte{static_cast<std::uint8_t>(c >> 8)};
  msg[7] = std::byte{static_cast<std::uint8_t>(c)};
  return msg;
}

}  // namespace vigil::vrrp::test

// Readable failure messages for gtest.
namespace vigil {
inline void PrintTo(const IpAddress& a, std::ostream* os) { *os << a.to_string(); }
}  // namespace vigil

namespace vigil::vrrp {
inline void PrintTo(DecodeError e, std::ostream* os) { *os << to_string(e); }
inline void PrintTo(State s, std::ostream* os) { *os << to_string(s); }
inline void PrintTo(const Advert& a, std::ostream* os) {
  *os << "Advert{v" << int(a.version) << " type " << int(a.type) << " vrid " << int(a.vrid)
      << " prio " << int(a.priority) << " int " << a.max_adver_int.count() << "cs auth "
      << int(a.auth_type) << " addrs";
  for (const auto& ip : a.addresses) *os << ' ' << ip.to_string();
  *os << '}';
}
inline void PrintTo(const Result<Advert, DecodeError>& r, std::ostream* os) {
  if (r) return PrintTo(*r, os);
  *os << "error " << to_string(r.error());
}
inline void PrintTo(const Action& action, std::ostream* os) {
  struct V {
    std::ostream* os;
    void operator()(const ArmTimer& a) const {
      *os << "ArmTimer{" << to_string(a.timer) << " @" << a.at.time_since_epoch().count() << "ns}";
    }
    void operator()(const CancelTimer& a) const { *os << "CancelTimer{" << to_string(a.timer) << "}"; }
    void operator()(const SendAdvert& a) const { *os << "SendAdvert{" << int(a.priority) << "}"; }
    void operator()(const StateChanged& a) const {
      *os << "StateChanged{" << to_string(a.from) << "->" << to_string(a.to) << ", "
          << to_string(a.reason) << "}";
    }
    void operator()(const AddVips& a) const { *os << "AddVips{accept=" << a.accept << "}"; }
    void operator()(const RemoveVips&) const { *os << "RemoveVips{}"; }
    void operator()(const SendGratuitous& a) const {
      *os << "SendGratuitous{" << (a.lower_priority ? "lower_priority" : "") << "}";
    }
    void operator()(const AdvertDiscarded& a) const {
      *os << "AdvertDiscarded{" << to_string(a.reason) << "}";
    }
    void operator()(const RequestMaster&) const { *os << "RequestMaster{}"; }
  };
  std::visit(V{os}, action);
}
}  // namespace vigil::vrrp
