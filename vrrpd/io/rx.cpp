#include "vrrpd/io/rx.hpp"

#include <numeric>

#include "vrrpd/proto/bytes.hpp"

namespace vigil::vrrp::io {

std::string_view to_string(RxDrop d) {
  switch (d) {
    case RxDrop::bad_ip_header: return "bad_ip_header";
    case RxDrop::no_ancillary: return "no_ancillary";
    case RxDrop::wrong_interface: return "wrong_interface";
    case RxDrop::ttl: return "ttl";
    case RxDrop::own_advert: return "own_advert";
    case RxDrop::unknown_vrid: return "unknown_vrid";
    case RxDrop::unicast_src: return "unicast_src";
    case RxDrop::addr_list_mismatch: return "addr_list_mismatch";
  }
  return "unknown";
}

std::uint64_t RxCounters::dropped() const {
  return std::accumulate(drops_.begin(), drops_.end(), decode_.total());
}

Result<Ipv4Header, RxDrop> parse_ipv4(std::span<const std::byte> datagram) {
  ByteReader r(datagram);
  const auto ver_ihl = r.u8();
  if (!ver_ihl || (*ver_ihl >> 4) != 4) return unexpected(RxDrop::bad_ip_header);
  const std::size_t ihl = (*ver_ihl & 0x0f) * 4u;
  r.skip(1);  // DSCP/ECN
  const auto total = r.u16();
  r.skip(4);  // identification, flags, fragment offset
  const auto ttl = r.u8();
  const auto proto = r.u8();
  r.skip(2);  // header checksum: the kernel verified it
  const auto src = r.u32();
  const auto dst = r.u32();
  if (!dst || ihl < 20 || ihl > datagram.size()) return unexpected(RxDrop::bad_ip_header);
  // The kernel hands raw sockets reassembled datagrams whose total length matches.
  if (*total < ihl || *total > datagram.size()) return unexpected(RxDrop::bad_ip_header);
  if (*proto != kIpProtoVrrp) return unexpected(RxDrop::bad_ip_header);
  return Ipv4Header{IpAddress::v4(*src), IpAddress::v4(*dst), *ttl,
                    datagram.subspan(ihl, *total - ihl)};
}

}  // namespace vigil::vrrp::io
