// The wire side of TCP_CHECK's half-open ("SYN") probe: the SYN it sends from a raw socket
// and the segments that answer it. Pure: bytes in, values out (RFC 9293).
//
// The probe is RFC 9293 §3.5's opening from the client's side, stopped after the second
// step: SYN out, then in SYN-SENT (§3.10.7.3) an acceptable ACK (SEG.ACK == ISS + 1) with
// SYN means the server would complete the handshake (connect() would succeed), with RST
// that it refused. Everything else is not an answer. The third step (our ACK) is never
// sent: the director's kernel has no socket for the SYN-ACK and answers it with a RST.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/ip.hpp"
#include "base/result.hpp"

namespace vigil::checkers::syn {

// A 20-byte header and one option, MSS (RFC 9293 §3.2: kind 2, length 4).
inline constexpr std::size_t kSynLength = 24;
using SynBytes = std::array<std::byte, kSynLength>;

struct Syn {
  std::uint16_t src_port{};
  std::uint16_t dst_port{};
  std::uint32_t seq{};  // the ISS
  std::uint16_t mss{1460};
  std::uint16_t window{65535};
  friend bool operator==(const Syn&, const Syn&) = default;
};

// The addresses of the IP header around the segment: the TCP checksum covers them through
// the pseudo-header (RFC 9293 §3.1 for IPv4, RFC 8200 §8.1 for IPv6). Same family, both.
struct PseudoHeader {
  IpAddress src;
  IpAddress dst;
};

// The Internet checksum (RFC 1071) of the pseudo-header (protocol 6, the segment's length)
// and `segment` as it is: 0 over a segment whose checksum field is right, the value to put
// in the field over one where it is zero.
std::uint16_t tcp_checksum(std::span<const std::byte> segment, const PseudoHeader& ph);

// The SYN with its checksum filled in over `ph`, or left zero without one (the kernel fills
// it in: IPV6_CHECKSUM on an IPv6 raw socket).
SynBytes encode_syn(const Syn& s, const std::optional<PseudoHeader>& ph);

// Control bits (RFC 9293 §3.1).
inline constexpr std::uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10;

enum class Kind : std::uint8_t {
  syn_ack,  // SYN and ACK, no RST
  rst,      // RST with ACK (a RST without ACK cannot answer a SYN: §3.10.7.3)
  other,
};

struct Segment {
  std::optional<IpAddress> src, dst;  // from the IPv4 header; an IPv6 raw receive has none
  std::uint16_t src_port{};
  std::uint16_t dst_port{};
  std::uint32_t seq{};
  std::uint32_t ack{};
  std::uint8_t flags{};
  Kind kind{Kind::other};
  friend bool operator==(const Segment&, const Segment&) = default;
};

// What a raw receive starts with: IPv4 raw sockets hand over the IP header too, IPv6 ones
// start at the transport header.
enum class Framing : std::uint8_t { ipv4, tcp };

enum class ParseError : std::uint8_t {
  truncated,             // shorter than its headers say (or than 20 bytes of TCP)
  bad_ip_version,        // not 4
  bad_ip_header_length,  // IHL < 5
  not_tcp,               // IPv4 protocol is not 6
  fragment,              // not the first fragment: no TCP header
  bad_data_offset,       // TCP data offset < 5
};
const char* to_string(ParseError e);

// The headers only: options and payload need not be there (a receive buffer may cut them),
// and the checksum is not checked (loopback traffic carries partial checksums).
Result<Segment, ParseError> parse_segment(std::span<const std::byte> data, Framing framing);

// Whether `s` answers a SYN with sequence number `iss` (RFC 9293 §3.10.7.3, SYN-SENT: the
// ACK is acceptable only as ISS + 1, since SND.NXT = ISS + 1).
enum class Answer : std::uint8_t { none, up, refused };
Answer answer_to(const Segment& s, std::uint32_t iss);

// The start of a segment we sent, as an ICMP error quotes it (at least 8 bytes, RFC 792 /
// RFC 4443; a raw socket's error queue hands over the quoted transport header).
struct Quoted {
  std::uint16_t src_port{};
  std::uint16_t dst_port{};
  std::uint32_t seq{};
  friend bool operator==(const Quoted&, const Quoted&) = default;
};
Result<Quoted, ParseError> parse_quoted(std::span<const std::byte> data);

}  // namespace vigil::checkers::syn
