// The VRRP ADVERTISEMENT as a value, and its codec over bytes.
//
// VRRPv2, RFC 3768 §5.1 (IPv4 only):       VRRPv3, RFC 5798 §5.1 (IPv4 and IPv6):
//  |Ver=2|Type=1| VRID |Priority|Count|      |Ver=3|Type=1| VRID |Priority|Count IPvX|
//  |Auth Type|Adver Int(s)|  Checksum  |      |rsvd(4)|Max Adver Int(12, cs)|Checksum |
//  |  IPv4 Address(es), 4 bytes each    |      |  IPvX Address(es), 4 or 16 bytes each |
//  |  Authentication Data, 8 bytes      |
//
// The span handed to decode_advert is the IP payload: exactly one VRRP message. The IP
// header checks (TTL/hop limit 255, protocol 112) belong to the socket layer.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "base/clock.hpp"
#include "base/ip.hpp"
#include "base/result.hpp"

namespace vigil::vrrp {

inline constexpr std::uint8_t kIpProtoVrrp = 112;        // RFC 5798 §5.1.1.4 / §5.1.2.4
inline constexpr std::uint8_t kTypeAdvertisement = 1;    // RFC 5798 §5.2.2
inline constexpr std::size_t kHeaderLength = 8;          // the fixed part, both versions
inline constexpr std::size_t kAuthDataLength = 8;        // RFC 3768 §5.3.10 (v2 only)
inline constexpr Centiseconds kMaxAdverIntV3{0xfff};     // 12 bits, RFC 5798 §5.2.7
inline constexpr Centiseconds kMaxAdverIntV2{255 * 100}; // 8 bits of seconds, RFC 3768 §5.3.7

enum class Version : std::uint8_t { v2 = 2, v3 = 3 };

// RFC 2338 §5.3.6 (kept by keepalived for v2): 0 none, 1 simple text password, 2 IP AH.
// vigil accepts none and pass; AH is rejected as bad_auth_type.
enum class AuthType : std::uint8_t { none = 0, pass = 1, ah = 2 };
using AuthData = std::array<std::byte, kAuthDataLength>;

struct Advert {
  Version version{Version::v3};
  std::uint8_t type{kTypeAdvertisement};
  std::uint8_t vrid{};
  std::uint8_t priority{};
  // v3: Max Adver Int (centiseconds on the wire). v2: Adver Int, whole seconds on the wire,
  // so a v2 value must be a multiple of 100 cs. One unit in the value type for both.
  Centiseconds max_adver_int{100};
  AuthType auth_type{AuthType::none};  // v2 only; none for v3
  AuthData auth_data{};                // v2 only; zero for v3
  std::vector<IpAddress> addresses;    // all of the family of the IP header

  friend bool operator==(const Advert&, const Advert&) = default;
};

// The IP header fields the checksum and the address family depend on (RFC 5798 §5.2.8).
struct PseudoHeader {
  IpAddress src;
  IpAddress dst;
  Family family() const { return src.family(); }
};

// One value per reason a received message is dropped; each maps to a counter.
enum class DecodeError : std::uint8_t {
  truncated,           // shorter than the 8-byte fixed header
  family_mismatch,     // pseudo-header src and dst of different families
  bad_version,         // version neither 2 nor 3
  v2_over_ipv6,        // RFC 3768 is IPv4 only; keepalived forces v3 for IPv6
  bad_checksum,
  count_mismatch,      // length is not header + count * address length (+ auth data for v2)
  bad_type,            // type is not ADVERTISEMENT (1)
  zero_vrid,           // VRID range is 1-255 (RFC 5798 §5.2.3)
  zero_adver_int,      // an interval of 0 would make Master_Down_Interval ~0
  bad_auth_type,       // v2 auth type not 0 or 1 (AH, 2, is not supported)
  auth_type_mismatch,  // v2 auth type differs from the configured one
  auth_mismatch,       // v2 PASS: authentication data differs from the configured password
};
inline constexpr std::size_t kDecodeErrorCount =
    static_cast<std::size_t>(DecodeError::auth_mismatch) + 1;

std::string_view to_string(DecodeError e);

// Drop counters indexed by reason.
class DecodeCounters {
 public:
  void add(DecodeError e) { ++n_[index(e)]; }
  std::uint64_t& operator[](DecodeError e) { return n_[index(e)]; }
  std::uint64_t operator[](DecodeError e) const { return n_[index(e)]; }
  std::uint64_t total() const;
  const std::array<std::uint64_t, kDecodeErrorCount>& values() const { return n_; }

 private:
  static std::size_t index(DecodeError e) { return static_cast<std::size_t>(e); }
  std::array<std::uint64_t, kDecodeErrorCount> n_{};
};

// The v2 authentication an instance expects (RFC 2338 §5.3.6, keepalived's authentication{}).
struct V2Auth {
  AuthType type{AuthType::none};
  AuthData data{};  // the password, zero-padded to 8 bytes
};

struct DecodeOptions {
  // keepalived's v3_checksum_as_v2: a v3 IPv4 checksum computed without the pseudo-header,
  // as old keepalived versions sent. IPv6 always includes it (the kernel computes it there).
  bool v3_checksum_as_v2{false};
  // When set, v2 messages must carry this auth type (and, for PASS, this data). Unset: any
  // supported type is accepted and returned in the Advert (demultiplexing, fuzzing).
  std::optional<V2Auth> auth;
};

struct EncodeOptions {
  bool v3_checksum_as_v2{false};  // see DecodeOptions
};

Result<Advert, DecodeError> decode_advert(std::span<const std::byte> msg, const PseudoHeader& ph,
                                          const DecodeOptions& opts = {});
// The same into an existing Advert, reusing its address vector (a receiver's hot path: no
// allocation per advert). On error `out` holds whatever was decoded so far.
Result<void, DecodeError> decode_advert_into(std::span<const std::byte> msg, const PseudoHeader& ph,
                                             const DecodeOptions& opts, Advert& out);

// Whether encode_advert can represent the advert: version/family combination, at most 255
// addresses all of the pseudo-header's family, an interval the version's field can hold.
bool encodable(const Advert& a, const PseudoHeader& ph);

// Serializes with the checksum filled in. Fields the decoder rejects (vrid 0, type != 1, AH)
// are written as given so that tests can build bad messages. Throws std::invalid_argument
// when !encodable(a, ph): the caller's configuration should have made that impossible.
std::vector<std::byte> encode_advert(const Advert& a, const PseudoHeader& ph,
                                     const EncodeOptions& opts = {});

}  // namespace vigil::vrrp
