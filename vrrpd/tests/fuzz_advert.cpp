// libFuzzer entry point for the advert decoder. Arbitrary bytes are decoded as a VRRP message
// under IPv4 and IPv6 pseudo-headers, with and without v3_checksum_as_v2; every successful
// decode must re-encode, and the re-encoding must decode to the same value and reproduce the
// input bytes except where the wire allows two spellings (v3 reserved bits, which receivers
// ignore, and the checksum field, where 0x0000 and 0xffff are both one's-complement zero).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "vrrpd/proto/advert.hpp"

namespace {

using namespace vigil;
using namespace vigil::vrrp;

void check(bool ok) {
  if (!ok) std::abort();
}

bool same_except_free_bits(std::span<const std::byte> in, std::span<const std::byte> out,
                           Version v) {
  if (in.size() != out.size()) return false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i == 6 || i == 7) continue;  // checksum: verified by the second decode instead
    auto a = in[i], b = out[i];
    if (i == 4 && v == Version::v3) a &= std::byte{0x0f};  // reserved nibble
    if (a != b) return false;
  }
  return true;
}

void round_trip(std::span<const std::byte> data, const PseudoHeader& ph, bool compat) {
  const auto decoded = decode_advert(data, ph, {.v3_checksum_as_v2 = compat});
  if (!decoded) {
    check(!to_string(decoded.error()).empty());
    return;
  }
  check(encodable(*decoded, ph));
  const auto bytes = encode_advert(*decoded, ph, {.v3_checksum_as_v2 = compat});
  check(same_except_free_bits(data, bytes, decoded->version));
  const auto again = decode_advert(bytes, ph, {.v3_checksum_as_v2 = compat});
  check(again.has_value() && *again == *decoded);
}

const PseudoHeader kV4{IpAddress::v4(0xc0a8010a), IpAddress::v4(0xe0000012)};
const PseudoHeader kV6{IpAddress::v6({0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
                       IpAddress::v6({0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12})};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto bytes = std::as_bytes(std::span(data, size));
  for (const auto* ph : {&kV4, &kV6})
    for (bool compat : {false, true}) round_trip(bytes, *ph, compat);
  return 0;
}
