// What the socket layer hands to the demultiplexer: one received VRRP message with the IP
// header fields it was validated against, and the reasons a message can be dropped before
// (or instead of) the codec. Pure: no sockets here.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "base/result.hpp"
#include "vrrpd/proto/advert.hpp"

namespace vigil::vrrp::io {

struct RxPacket {
  IpAddress src;                       // IP source
  IpAddress dst;                       // IP destination (IP_PKTINFO / IPV6_PKTINFO / header)
  int ifindex{};                       // arrival interface (IP_PKTINFO / IPV6_PKTINFO)
  int ttl{-1};                         // TTL / hop limit; -1 when the kernel did not say
  std::span<const std::byte> payload;  // the VRRP message
  // When the kernel received it (SO_TIMESTAMPNS), on the steady clock's time line; empty
  // when the kernel did not say. Timers a packet starts count from here, not from when the
  // loop got to it (an idle CPU wakes 0.1-1 ms late).
  std::optional<TimePoint> arrived;
};

// Drops decided by the socket layer and the demultiplexer. Codec errors are DecodeError.
enum class RxDrop : std::uint8_t {
  bad_ip_header,       // IPv4 header truncated, bad IHL/length, or not protocol 112
  no_ancillary,        // IPv6 without IPV6_PKTINFO / IPV6_HOPLIMIT
  wrong_interface,     // arrived on another interface than the socket serves
  ttl,                 // RFC 5798 §7.1: multicast TTL/hop limit not 255 (or unicast_peer ttl)
  own_advert,          // sent by one of our instances (source is our primary address)
  unknown_vrid,        // no instance of this VRID and family on the interface
  unicast_src,         // check_unicast_src: the source is not a unicast_peer
  addr_list_mismatch,  // the advert's addresses differ from ours (unless skip_check_adv_addr)
};
inline constexpr std::size_t kRxDropCount = static_cast<std::size_t>(RxDrop::addr_list_mismatch) + 1;

std::string_view to_string(RxDrop d);

// Every drop counted by reason: the socket layer's own and the codec's.
class RxCounters {
 public:
  void add(RxDrop d) { ++drops_[static_cast<std::size_t>(d)]; }
  void add(DecodeError e) { decode_.add(e); }
  void delivered() { ++delivered_; }
  std::uint64_t operator[](RxDrop d) const { return drops_[static_cast<std::size_t>(d)]; }
  std::uint64_t operator[](DecodeError e) const { return decode_[e]; }
  const DecodeCounters& decode() const { return decode_; }
  std::uint64_t delivered_count() const { return delivered_; }
  std::uint64_t dropped() const;

 private:
  std::array<std::uint64_t, kRxDropCount> drops_{};
  DecodeCounters decode_;
  std::uint64_t delivered_{0};
};

// The IPv4 header of a datagram read from a raw socket (which includes it): RFC 791 fields
// the checks need; payload is the rest, cut to the header's total length.
struct Ipv4Header {
  IpAddress src, dst;
  int ttl{};
  std::span<const std::byte> payload;
};
Result<Ipv4Header, RxDrop> parse_ipv4(std::span<const std::byte> datagram);

}  // namespace vigil::vrrp::io
