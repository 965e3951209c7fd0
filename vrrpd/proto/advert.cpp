#include "vrrpd/proto/advert.hpp"

#include <algorithm>
#include <numeric>
#include <stdexcept>

#include "vrrpd/proto/bytes.hpp"
#include "vrrpd/proto/checksum.hpp"

namespace vigil::vrrp {
namespace {

constexpr std::size_t kChecksumOffset = 6;

std::size_t address_length(Family f) { return f == Family::v4 ? 4 : 16; }

std::span<const std::byte> address_bytes(const IpAddress& a) {
  return std::as_bytes(std::span(a.bytes()).first(address_length(a.family())));
}

// RFC 5798 §5.2.8: v3 sums a pseudo-header first; for IPv6 the one of RFC 2460 §8.1 (src, dst,
// 32-bit upper-layer length, 3 zero bytes, next header 112); for IPv4 the RFC 768 layout
// (src, dst, zero, protocol 112, 16-bit length). RFC 3768 §5.3.8: v2 sums the message only.
bool uses_pseudo_header(Version v, Family f, bool v3_checksum_as_v2) {
  if (v == Version::v2) return false;
  return f == Family::v6 || !v3_checksum_as_v2;
}

std::uint32_t pseudo_header_sum(const PseudoHeader& ph, std::size_t length) {
  ByteWriter w(40);
  w.bytes(address_bytes(ph.src));
  w.bytes(address_bytes(ph.dst));
  if (ph.family() == Family::v4) {
    w.u8(0);
    w.u8(kIpProtoVrrp);
    w.u16(static_cast<std::uint16_t>(length));
  } else {
    w.u32(static_cast<std::uint32_t>(length));
    w.zeros(3);
    w.u8(kIpProtoVrrp);
  }
  return ones_complement_add(w.view());
}

std::uint32_t initial_sum(Version v, const PseudoHeader& ph, std::size_t length, bool compat) {
  return uses_pseudo_header(v, ph.family(), compat) ? pseudo_header_sum(ph, length) : 0;
}

std::size_t expected_length(Version v, Family f, std::size_t count) {
  return kHeaderLength + count * address_length(f) + (v == Version::v2 ? kAuthDataLength : 0);
}

// Only called once the total length has been checked, so the reads cannot fail. Into `out`,
// reusing its capacity (a receiver decodes every advert into the same Advert).
void read_addresses(ByteReader& r, Family f, std::size_t count, std::vector<IpAddress>& out) {
  out.clear();
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (f == Family::v4) {
      out.push_back(IpAddress::v4(r.u32().value()));
      continue;
    }
    std::array<std::uint8_t, 16> b{};
    const auto raw = r.bytes(16).value();
    for (std::size_t j = 0; j < b.size(); ++j) b[j] = std::to_integer<std::uint8_t>(raw[j]);
    out.push_back(IpAddress::v6(b));
  }
}

// RFC 2338 §5.3.6 / §10 as keepalived applies it: type known, type as configured, password.
std::optional<DecodeError> check_v2_auth(const Advert& a, const DecodeOptions& opts) {
  if (a.auth_type != AuthType::none && a.auth_type != AuthType::pass)
    return DecodeError::bad_auth_type;
  if (!opts.auth) return std::nullopt;
  if (a.auth_type != opts.auth->type) return DecodeError::auth_type_mismatch;
  if (a.auth_type == AuthType::pass && a.auth_data != opts.auth->data)
    return DecodeError::auth_mismatch;
  return std::nullopt;
}

// Fields after the checksum has been verified and the length matches the count.
Result<void, DecodeError> decode_body(ByteReader& r, Version version, Family family,
                                      const DecodeOptions& opts, Advert& a) {
  a.version = version;
  a.type = r.u8().value() & 0x0f;
  a.vrid = r.u8().value();
  a.priority = r.u8().value();
  const std::size_t count = r.u8().value();
  const std::uint16_t word = r.u16().value();  // v2: auth type, adver int; v3: rsvd, max int
  r.skip(2);                                    // checksum, already verified
  if (a.type != kTypeAdvertisement) return unexpected(DecodeError::bad_type);
  if (a.vrid == 0) return unexpected(DecodeError::zero_vrid);
  if (version == Version::v2) {
    a.auth_type = static_cast<AuthType>(word >> 8);
    a.max_adver_int = Centiseconds{(word & 0xff) * 100};
  } else {
    a.max_adver_int = Centiseconds{word & 0x0fff};  // rsvd bits ignored on receipt (§5.2.6)
  }
  if (a.max_adver_int.count() == 0) return unexpected(DecodeError::zero_adver_int);
  read_addresses(r, family, count, a.addresses);
  if (version == Version::v3) return {};
  const auto auth = r.bytes(kAuthDataLength).value();
  std::copy(auth.begin(), auth.end(), a.auth_data.begin());
  if (auto err = check_v2_auth(a, opts)) return unexpected(*err);
  return {};
}

}  // namespace

std::string_view to_string(DecodeError e) {
  switch (e) {
    case DecodeError::truncated: return "truncated";
    case DecodeError::family_mismatch: return "family_mismatch";
    case DecodeError::bad_version: return "bad_version";
    case DecodeError::v2_over_ipv6: return "v2_over_ipv6";
    case DecodeError::bad_checksum: return "bad_checksum";
    case DecodeError::count_mismatch: return "count_mismatch";
    case DecodeError::bad_type: return "bad_type";
    case DecodeError::zero_vrid: return "zero_vrid";
    case DecodeError::zero_adver_int: return "zero_adver_int";
    case DecodeError::bad_auth_type: return "bad_auth_type";
    case DecodeError::auth_type_mismatch: return "auth_type_mismatch";
    case DecodeError::auth_mismatch: return "auth_mismatch";
  }
  return "unknown";
}

std::uint64_t DecodeCounters::total() const {
  return std::accumulate(n_.begin(), n_.end(), std::uint64_t{0});
}

Result<Advert, DecodeError> decode_advert(std::span<const std::byte> msg, const PseudoHeader& ph,
                                          const DecodeOptions& opts) {
  Advert a;
  if (auto ok = decode_advert_into(msg, ph, opts, a); !ok) return unexpected(ok.error());
  return a;
}

Result<void, DecodeError> decode_advert_into(std::span<const std::byte> msg, const PseudoHeader& ph,
                                             const DecodeOptions& opts, Advert& out) {
  if (msg.size() < kHeaderLength) return unexpected(DecodeError::truncated);
  if (ph.src.family() != ph.dst.family()) return unexpected(DecodeError::family_mismatch);
  const unsigned version_bits = std::to_integer<unsigned>(msg[0]) >> 4;
  if (version_bits != 2 && version_bits != 3) return unexpected(DecodeError::bad_version);
  const auto version = static_cast<Version>(version_bits);
  if (version == Version::v2 && ph.family() == Family::v6)
    return unexpected(DecodeError::v2_over_ipv6);
  // A correct checksum field makes the sum of everything 0xffff, i.e. a folded value of 0.
  const auto acc = initial_sum(version, ph, msg.size(), opts.v3_checksum_as_v2);
  if (fold_checksum(ones_complement_add(msg, acc)) != 0)
    return unexpected(DecodeError::bad_checksum);
  const std::size_t count = std::to_integer<std::size_t>(msg[3]);
  if (msg.size() != expected_length(version, ph.family(), count))
    return unexpected(DecodeError::count_mismatch);
  ByteReader r(msg);
  out.auth_type = AuthType::none;
  out.auth_data = {};
  return decode_body(r, version, ph.family(), opts, out);
}

bool encodable(const Advert& a, const PseudoHeader& ph) {
  if (ph.src.family() != ph.dst.family()) return false;
  if (a.version == Version::v2 && ph.family() == Family::v6) return false;
  if (a.version != Version::v2 && a.version != Version::v3) return false;
  if (a.type > 0x0f || a.addresses.size() > 255) return false;
  for (const auto& addr : a.addresses)
    if (addr.family() != ph.family()) return false;
  const auto cs = a.max_adver_int.count();
  if (a.version == Version::v3) return cs >= 0 && cs <= kMaxAdverIntV3.count();
  return cs >= 0 && cs <= kMaxAdverIntV2.count() && cs % 100 == 0;
}

std::vector<std::byte> encode_advert(const Advert& a, const PseudoHeader& ph,
                                     const EncodeOptions& opts) {
  if (!encodable(a, ph)) throw std::invalid_argument("encode_advert: advert not representable");
  ByteWriter w(expected_length(a.version, ph.family(), a.addresses.size()));
  w.u8(static_cast<std::uint8_t>((static_cast<unsigned>(a.version) << 4) | a.type));
  w.u8(a.vrid);
  w.u8(a.priority);
  w.u8(static_cast<std::uint8_t>(a.addresses.size()));
  if (a.version == Version::v2) {
    w.u8(static_cast<std::uint8_t>(a.auth_type));
    w.u8(static_cast<std::uint8_t>(a.max_adver_int.count() / 100));
  } else {
    w.u16(static_cast<std::uint16_t>(a.max_adver_int.count()));  // rsvd sent as zero
  }
  w.u16(0);  // checksum, patched below
  for (const auto& addr : a.addresses) w.bytes(address_bytes(addr));
  if (a.version == Version::v2) w.bytes(a.auth_data);
  const auto acc = initial_sum(a.version, ph, w.size(), opts.v3_checksum_as_v2);
  w.patch_u16(kChecksumOffset, fold_checksum(ones_complement_add(w.view(), acc)));
  return std::move(w).take();
}

}  // namespace vigil::vrrp
