#include "vrrpd/io/gratuitous.hpp"

#include <span>

#include "vrrpd/proto/bytes.hpp"

namespace vigil::vrrp::io {
namespace {

constexpr std::uint16_t kHardwareEthernet = 1;  // RFC 826 ar$hrd
constexpr std::uint16_t kProtocolIpv4 = 0x0800;
constexpr std::uint16_t kArpRequest = 1;
constexpr std::uint8_t kNeighborAdvertisement = 136;  // RFC 4861 §4.4
constexpr std::uint32_t kFlagRouter = 0x80000000u;
constexpr std::uint32_t kFlagOverride = 0x20000000u;
constexpr std::uint8_t kOptionTargetLinkLayer = 2;    // RFC 4861 §4.6.1

std::span<const std::byte> bytes_of(const MacAddress& m) { return std::as_bytes(std::span(m)); }

std::span<const std::byte> bytes_of(const IpAddress& a) {
  return std::as_bytes(std::span(a.bytes()).first(a.is_v4() ? 4 : 16));
}

}  // namespace

std::vector<std::byte> gratuitous_arp(const MacAddress& mac, const IpAddress& vip) {
  ByteWriter w(28);
  w.u16(kHardwareEthernet);
  w.u16(kProtocolIpv4);
  w.u8(6);
  w.u8(4);
  w.u16(kArpRequest);
  w.bytes(bytes_of(mac));
  w.bytes(bytes_of(vip));
  for (int i = 0; i < 6; ++i) w.u8(0xff);
  w.bytes(bytes_of(vip));
  return std::move(w).take();
}

std::vector<std::byte> unsolicited_na(const MacAddress& mac, const IpAddress& vip, bool router) {
  ByteWriter w(32);
  w.u8(kNeighborAdvertisement);
  w.u8(0);   // code
  w.u16(0);  // checksum: the kernel's
  w.u32((router ? kFlagRouter : 0) | kFlagOverride);  // S=0: unsolicited
  w.bytes(bytes_of(vip));
  w.u8(kOptionTargetLinkLayer);
  w.u8(1);  // length in units of 8 bytes
  w.bytes(bytes_of(mac));
  return std::move(w).take();
}

}  // namespace vigil::vrrp::io
