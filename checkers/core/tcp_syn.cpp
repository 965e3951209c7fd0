#include "checkers/core/tcp_syn.hpp"

#include "base/bytes.hpp"

namespace vigil::checkers::syn {
namespace {

constexpr std::uint8_t kProtocolTcp = 6;
constexpr std::size_t kTcpHeader = 20;

// RFC 1071: 16-bit big-endian words summed in 64 bits, folded at the end; an odd last byte
// is padded with zero.
std::uint64_t add_words(std::span<const std::byte> data, std::uint64_t sum) {
  std::size_t i = 0;
  for (; i + 1 < data.size(); i += 2)
    sum += (std::to_integer<std::uint32_t>(data[i]) << 8) | std::to_integer<std::uint32_t>(data[i + 1]);
  if (i < data.size()) sum += std::to_integer<std::uint32_t>(data[i]) << 8;
  return sum;
}

std::span<const std::byte> address_bytes(const IpAddress& a) {
  const auto& b = a.bytes();
  return std::as_bytes(std::span(b.data(), a.is_v4() ? 4 : 16));
}

void put16(SynBytes& out, std::size_t at, std::uint16_t v) {
  out[at] = std::byte{static_cast<std::uint8_t>(v >> 8)};
  out[at + 1] = std::byte{static_cast<std::uint8_t>(v)};
}

void put32(SynBytes& out, std::size_t at, std::uint32_t v) {
  put16(out, at, static_cast<std::uint16_t>(v >> 16));
  put16(out, at + 2, static_cast<std::uint16_t>(v));
}

Kind kind_of(std::uint8_t flags) {
  if ((flags & (kRst | kAck)) == (kRst | kAck)) return Kind::rst;
  if ((flags & (kSyn | kAck | kRst)) == (kSyn | kAck)) return Kind::syn_ack;
  return Kind::other;
}

}  // namespace

std::uint16_t tcp_checksum(std::span<const std::byte> segment, const PseudoHeader& ph) {
  // IPv4 (RFC 9293 §3.1): src, dst, zero, protocol, TCP length (16 bits).
  // IPv6 (RFC 8200 §8.1): src, dst, upper-layer length (32 bits), 3 zero bytes, next header.
  // Summed as 16-bit words both come to the same: the addresses, the length, the protocol.
  std::uint64_t sum = add_words(address_bytes(ph.src), 0);
  sum = add_words(address_bytes(ph.dst), sum);
  const auto length = static_cast<std::uint64_t>(segment.size());
  sum += (length >> 16) + (length & 0xffff) + kProtocolTcp;
  sum = add_words(segment, sum);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

SynBytes encode_syn(const Syn& s, const std::optional<PseudoHeader>& ph) {
  SynBytes out{};
  put16(out, 0, s.src_port);
  put16(out, 2, s.dst_port);
  put32(out, 4, s.seq);
  put32(out, 8, 0);                                  // acknowledgment number: none yet
  out[12] = std::byte{(kSynLength / 4) << 4};        // data offset 6 words, reserved 0
  out[13] = std::byte{kSyn};
  put16(out, 14, s.window);
  put16(out, 16, 0);                                 // checksum, below
  put16(out, 18, 0);                                 // urgent pointer
  out[20] = std::byte{2};                            // MSS option: kind 2, length 4
  out[21] = std::byte{4};
  put16(out, 22, s.mss);
  if (ph) put16(out, 16, tcp_checksum(out, *ph));
  return out;
}

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::truncated: return "truncated";
    case ParseError::bad_ip_version: return "bad IP version";
    case ParseError::bad_ip_header_length: return "bad IP header length";
    case ParseError::not_tcp: return "not TCP";
    case ParseError::fragment: return "fragment";
    case ParseError::bad_data_offset: return "bad TCP data offset";
  }
  return "?";
}

Result<Segment, ParseError> parse_segment(std::span<const std::byte> data, Framing framing) {
  Segment s;
  ByteReader r(data);
  if (framing == Framing::ipv4) {
    const auto vihl = r.u8();
    if (!vihl) return unexpected(ParseError::truncated);
    if ((*vihl >> 4) != 4) return unexpected(ParseError::bad_ip_version);
    const std::size_t ihl = static_cast<std::size_t>(*vihl & 0x0f) * 4;
    if (ihl < 20) return unexpected(ParseError::bad_ip_header_length);
    // tos, total length, id, then flags + fragment offset, ttl, protocol, checksum.
    if (!r.skip(5)) return unexpected(ParseError::truncated);
    const auto frag = r.u16();
    if (!frag || !r.skip(1)) return unexpected(ParseError::truncated);
    const auto protocol = r.u8();
    if (!protocol || !r.skip(2)) return unexpected(ParseError::truncated);
    const auto src = r.u32(), dst = r.u32();
    if (!src || !dst || !r.skip(ihl - 20)) return unexpected(ParseError::truncated);
    if (*protocol != kProtocolTcp) return unexpected(ParseError::not_tcp);
    if ((*frag & 0x1fff) != 0) return unexpected(ParseError::fragment);
    s.src = IpAddress::v4(*src);
    s.dst = IpAddress::v4(*dst);
  }
  if (r.remaining() < kTcpHeader) return unexpected(ParseError::truncated);
  s.src_port = *r.u16();
  s.dst_port = *r.u16();
  s.seq = *r.u32();
  s.ack = *r.u32();
  const std::uint8_t offset = *r.u8();
  s.flags = *r.u8();
  if ((offset >> 4) < 5) return unexpected(ParseError::bad_data_offset);
  s.kind = kind_of(s.flags);
  return s;
}

Answer answer_to(const Segment& s, std::uint32_t iss) {
  if (s.kind == Kind::other || s.ack != iss + 1) return Answer::none;  // wraps: ISS + 1 mod 2^32
  return s.kind == Kind::rst ? Answer::refused : Answer::up;
}

Result<Quoted, ParseError> parse_quoted(std::span<const std::byte> data) {
  ByteReader r(data);
  const auto src = r.u16(), dst = r.u16();
  const auto seq = r.u32();
  if (!src || !dst || !seq) return unexpected(ParseError::truncated);
  return Quoted{*src, *dst, *seq};
}

}  // namespace vigil::checkers::syn
