// IPVS replies (and request attributes) into model values. Required attributes missing or
// of the wrong size are errors; optional ones take the kernel's defaults.
#include <linux/ip_vs.h>

#include <bit>

#include "ipvs_glue/codec/ipvs.hpp"

namespace vigil::ipvs::codec {
namespace {

using genl::get;
using genl::get_be16;
using genl::get_counter;
using genl::get_string;
using genl::parse_table;
using Span = std::optional<std::span<const std::byte>>;

// Propagates a DecodeError out of the enclosing function.
#define VIGIL_TRY(var, expr)                       \
  auto var##_r = (expr);                           \
  if (!var##_r) return unexpected(var##_r.error()); \
  auto var = std::move(*var##_r)

template <class T>
T get_or(const Span& a, T fallback, bool& bad) {
  if (!a) return fallback;
  auto v = get<T>(a);
  if (!v) bad = true;
  return v.value_or(fallback);
}

Result<Family, DecodeError> family_of(std::uint16_t af) {
  if (af == kAfInet) return Family::v4;
  if (af == kAfInet6) return Family::v6;
  return unexpected(DecodeError::bad_value);
}

Result<IpAddress, DecodeError> address(const Span& a, Family f) {
  if (!a) return unexpected(DecodeError::missing_attribute);
  const std::size_t n = f == Family::v4 ? 4 : 16;
  if (a->size() < n || a->size() > 16) return unexpected(DecodeError::bad_attribute);
  std::array<std::uint8_t, 16> b{};
  for (std::size_t i = 0; i < n; ++i) b[i] = std::to_integer<std::uint8_t>((*a)[i]);
  if (f == Family::v6) return IpAddress::v6(b);
  return IpAddress::v4(std::uint32_t{b[0]} << 24 | std::uint32_t{b[1]} << 16 |
                       std::uint32_t{b[2]} << 8 | b[3]);
}

Result<Stats, DecodeError> stats(const Span& a) {
  Stats s;
  if (!a) return s;
  VIGIL_TRY(t, parse_table<IPVS_STATS_ATTR_MAX + 1>(*a));
  std::uint64_t* fields[] = {nullptr,     &s.conns, &s.inpkts, &s.outpkts, &s.inbytes, &s.outbytes,
                             &s.cps,      &s.inpps, &s.outpps, &s.inbps,   &s.outbps};
  for (int i = IPVS_STATS_ATTR_CONNS; i <= IPVS_STATS_ATTR_OUTBPS; ++i) {
    if (!t[i]) continue;
    VIGIL_TRY(v, get_counter(t[i]));
    *fields[i] = v;
  }
  return s;
}

// IPv4: the mask in network order (its leading ones; the kernel allows any mask, the model
// keeps prefixes); IPv6: the prefix length. Full length is "no netmask".
std::optional<std::uint8_t> netmask(const Span& a, Family f, bool& bad) {
  if (!a) return std::nullopt;
  if (a->size() != 4) {
    bad = true;
    return std::nullopt;
  }
  unsigned len = 0;
  if (f == Family::v4) {
    std::uint32_t m = 0;
    for (std::byte b : *a) m = m << 8 | std::to_integer<std::uint32_t>(b);
    len = static_cast<unsigned>(std::countl_one(m));
  } else {
    len = std::min(*get<std::uint32_t>(a), 128u);
  }
  if (len >= static_cast<unsigned>(max_prefix_length(f))) return std::nullopt;
  return static_cast<std::uint8_t>(len);
}

Result<ServiceKey, DecodeError> service_key(const genl::AttrTable<IPVS_SVC_ATTR_MAX + 1>& t) {
  VIGIL_TRY(af, get<std::uint16_t>(t[IPVS_SVC_ATTR_AF]));
  VIGIL_TRY(family, family_of(af));
  if (t[IPVS_SVC_ATTR_FWMARK]) {
    VIGIL_TRY(mark, get<std::uint32_t>(t[IPVS_SVC_ATTR_FWMARK]));
    if (mark != 0) return ServiceKey::mark(family, mark);
  }
  VIGIL_TRY(proto, get<std::uint16_t>(t[IPVS_SVC_ATTR_PROTOCOL]));
  VIGIL_TRY(addr, address(t[IPVS_SVC_ATTR_ADDR], family));
  VIGIL_TRY(port, get_be16(t[IPVS_SVC_ATTR_PORT]));
  ServiceKey k = ServiceKey::inet(static_cast<Protocol>(proto), addr, port);
  k.family = family;
  return k;
}

Result<ServiceFlags, DecodeError> flags(const Span& a) {
  if (!a) return ServiceFlags{};
  if (a->size() != 8) return unexpected(DecodeError::bad_attribute);
  nl::Reader r(*a);
  const auto bits = *r.native<std::uint32_t>();
  const auto mask = *r.native<std::uint32_t>();
  return ServiceFlags::from_bits(bits & mask);
}

Result<genl::AttrTable<IPVS_CMD_ATTR_MAX + 1>, DecodeError> top(const genl::GenlMessage& m) {
  return parse_table<IPVS_CMD_ATTR_MAX + 1>(m.attrs);
}

Result<Dest, DecodeError> dest_fields(const genl::AttrTable<IPVS_DEST_ATTR_MAX + 1>& t,
                                      Family service_family) {
  Family f = service_family;
  if (t[IPVS_DEST_ATTR_ADDR_FAMILY]) {
    VIGIL_TRY(af, get<std::uint16_t>(t[IPVS_DEST_ATTR_ADDR_FAMILY]));
    VIGIL_TRY(fam, family_of(af));
    f = fam;
  }
  Dest d;
  VIGIL_TRY(addr, address(t[IPVS_DEST_ATTR_ADDR], f));
  VIGIL_TRY(port, get_be16(t[IPVS_DEST_ATTR_PORT]));
  d.address = addr;
  d.port = port;
  bool bad = false;
  d.method = static_cast<ForwardMethod>(
      get_or<std::uint32_t>(t[IPVS_DEST_ATTR_FWD_METHOD], 0, bad) & IP_VS_CONN_F_FWD_MASK);
  d.weight = static_cast<std::int32_t>(get_or<std::uint32_t>(t[IPVS_DEST_ATTR_WEIGHT], 0, bad));
  d.u_threshold = get_or<std::uint32_t>(t[IPVS_DEST_ATTR_U_THRESH], 0, bad);
  d.l_threshold = get_or<std::uint32_t>(t[IPVS_DEST_ATTR_L_THRESH], 0, bad);
  d.active_conns = get_or<std::uint32_t>(t[IPVS_DEST_ATTR_ACTIVE_CONNS], 0, bad);
  d.inactive_conns = get_or<std::uint32_t>(t[IPVS_DEST_ATTR_INACT_CONNS], 0, bad);
  d.persist_conns = get_or<std::uint32_t>(t[IPVS_DEST_ATTR_PERSIST_CONNS], 0, bad);
  d.tun_type = static_cast<TunnelType>(get_or<std::uint8_t>(t[IPVS_DEST_ATTR_TUN_TYPE], 0, bad));
  d.tun_flags = get_or<std::uint16_t>(t[IPVS_DEST_ATTR_TUN_FLAGS], 0, bad);
  if (t[IPVS_DEST_ATTR_TUN_PORT]) {
    VIGIL_TRY(tp, get_be16(t[IPVS_DEST_ATTR_TUN_PORT]));
    d.tun_port = tp;
  }
  if (bad) return unexpected(DecodeError::bad_attribute);
  VIGIL_TRY(st, stats(t[IPVS_DEST_ATTR_STATS64] ? t[IPVS_DEST_ATTR_STATS64] : t[IPVS_DEST_ATTR_STATS]));
  d.stats = st;
  return d;
}

}  // namespace

Result<Service, DecodeError> decode_service(const genl::GenlMessage& m) {
  VIGIL_TRY(cmd, top(m));
  if (!cmd[IPVS_CMD_ATTR_SERVICE]) return unexpected(DecodeError::missing_attribute);
  VIGIL_TRY(t, parse_table<IPVS_SVC_ATTR_MAX + 1>(*cmd[IPVS_CMD_ATTR_SERVICE]));
  VIGIL_TRY(key, service_key(t));
  Service s;
  s.key = key;
  s.scheduler.clear();
  if (t[IPVS_SVC_ATTR_SCHED_NAME]) {
    VIGIL_TRY(sched, get_string(t[IPVS_SVC_ATTR_SCHED_NAME], IP_VS_SCHEDNAME_MAXLEN));
    s.scheduler = sched;
  }
  if (t[IPVS_SVC_ATTR_PE_NAME]) {
    VIGIL_TRY(pe, get_string(t[IPVS_SVC_ATTR_PE_NAME], IP_VS_PENAME_MAXLEN));
    s.pe_name = pe;
  }
  VIGIL_TRY(f, flags(t[IPVS_SVC_ATTR_FLAGS]));
  s.flags = f;
  bool bad = false;
  s.timeout = get_or<std::uint32_t>(t[IPVS_SVC_ATTR_TIMEOUT], 0, bad);
  s.netmask = netmask(t[IPVS_SVC_ATTR_NETMASK], key.family, bad);
  if (bad) return unexpected(DecodeError::bad_attribute);
  VIGIL_TRY(st, stats(t[IPVS_SVC_ATTR_STATS64] ? t[IPVS_SVC_ATTR_STATS64] : t[IPVS_SVC_ATTR_STATS]));
  s.stats = st;
  return s;
}

Result<Dest, DecodeError> decode_dest(const genl::GenlMessage& m, Family service_family) {
  VIGIL_TRY(cmd, top(m));
  if (!cmd[IPVS_CMD_ATTR_DEST]) return unexpected(DecodeError::missing_attribute);
  VIGIL_TRY(t, parse_table<IPVS_DEST_ATTR_MAX + 1>(*cmd[IPVS_CMD_ATTR_DEST]));
  return dest_fields(t, service_family);
}

Result<SyncDaemon, DecodeError> decode_daemon(const genl::GenlMessage& m) {
  VIGIL_TRY(cmd, top(m));
  if (!cmd[IPVS_CMD_ATTR_DAEMON]) return unexpected(DecodeError::missing_attribute);
  VIGIL_TRY(t, parse_table<IPVS_DAEMON_ATTR_MAX + 1>(*cmd[IPVS_CMD_ATTR_DAEMON]));
  SyncDaemon d;
  VIGIL_TRY(state, get<std::uint32_t>(t[IPVS_DAEMON_ATTR_STATE]));
  if (state != 1 && state != 2) return unexpected(DecodeError::bad_value);
  d.state = static_cast<SyncState>(state);
  VIGIL_TRY(ifn, get_string(t[IPVS_DAEMON_ATTR_MCAST_IFN], IP_VS_IFNAME_MAXLEN));
  d.interface = ifn;
  VIGIL_TRY(id, get<std::uint32_t>(t[IPVS_DAEMON_ATTR_SYNC_ID]));
  d.syncid = id;
  bool bad = false;
  d.maxlen = get_or<std::uint16_t>(t[IPVS_DAEMON_ATTR_SYNC_MAXLEN], 0, bad);
  d.port = get_or<std::uint16_t>(t[IPVS_DAEMON_ATTR_MCAST_PORT], 0, bad);
  d.ttl = get_or<std::uint8_t>(t[IPVS_DAEMON_ATTR_MCAST_TTL], 0, bad);
  if (bad) return unexpected(DecodeError::bad_attribute);
  if (t[IPVS_DAEMON_ATTR_MCAST_GROUP]) {
    if (t[IPVS_DAEMON_ATTR_MCAST_GROUP]->size() != 4) return unexpected(DecodeError::bad_attribute);
    VIGIL_TRY(g, address(t[IPVS_DAEMON_ATTR_MCAST_GROUP], Family::v4));
    d.group = g;
  } else if (t[IPVS_DAEMON_ATTR_MCAST_GROUP6]) {
    VIGIL_TRY(g, address(t[IPVS_DAEMON_ATTR_MCAST_GROUP6], Family::v6));
    d.group = g;
  }
  return d;
}

Result<Timeouts, DecodeError> decode_config(const genl::GenlMessage& m) {
  VIGIL_TRY(t, top(m));
  bool bad = false;
  Timeouts out;
  out.tcp = get_or<std::uint32_t>(t[IPVS_CMD_ATTR_TIMEOUT_TCP], 0, bad);
  out.tcp_fin = get_or<std::uint32_t>(t[IPVS_CMD_ATTR_TIMEOUT_TCP_FIN], 0, bad);
  out.udp = get_or<std::uint32_t>(t[IPVS_CMD_ATTR_TIMEOUT_UDP], 0, bad);
  if (bad) return unexpected(DecodeError::bad_attribute);
  return out;
}

Result<Info, DecodeError> decode_info(const genl::GenlMessage& m) {
  VIGIL_TRY(t, parse_table<IPVS_INFO_ATTR_MAX + 1>(m.attrs));
  VIGIL_TRY(version, get<std::uint32_t>(t[IPVS_INFO_ATTR_VERSION]));
  VIGIL_TRY(size, get<std::uint32_t>(t[IPVS_INFO_ATTR_CONN_TAB_SIZE]));
  return Info{version, size};
}

}  // namespace vigil::ipvs::codec
