// IPVS requests as bytes. Attribute order follows libipvs (ipvsadm), which the kernel has
// been parsed against for years; the kernel itself does not care about order.
#include <linux/ip_vs.h>

#include "ipvs_glue/codec/ipvs.hpp"

namespace vigil::ipvs::codec {
namespace {

using genl::kFlagAck;
using genl::kFlagDump;
using genl::kFlagRequest;

constexpr std::uint16_t kWrite = kFlagRequest | kFlagAck;
constexpr std::uint16_t kDump = kFlagRequest | kFlagDump;

std::uint16_t af(Family f) { return f == Family::v6 ? kAfInet6 : kAfInet; }

// union nf_inet_addr: 16 bytes, IPv4 in the first four.
void put_address(nl::Writer& w, std::uint16_t type, const IpAddress& a) {
  std::array<std::byte, 16> b{};
  const std::size_t n = a.is_v4() ? 4 : 16;
  for (std::size_t i = 0; i < n; ++i) b[i] = std::byte{a.bytes()[i]};
  w.attr_bytes(type, b);
}

// IPv4: the mask in network order; IPv6: the prefix length in host order.
void put_netmask(nl::Writer& w, const Service& s) {
  const int full = max_prefix_length(s.key.family);
  const int len = s.netmask ? std::min<int>(*s.netmask, full) : full;
  if (s.key.family == Family::v6) {
    w.attr<std::uint32_t>(IPVS_SVC_ATTR_NETMASK, static_cast<std::uint32_t>(len));
    return;
  }
  const std::uint32_t mask = len == 0 ? 0 : ~std::uint32_t{0} << (32 - len);
  const auto at = w.begin_attr(IPVS_SVC_ATTR_NETMASK);
  w.be16(static_cast<std::uint16_t>(mask >> 16));
  w.be16(static_cast<std::uint16_t>(mask));
  w.end_attr(at);
}

void put_service_key(nl::Writer& w, const ServiceKey& k) {
  w.attr<std::uint16_t>(IPVS_SVC_ATTR_AF, af(k.family));
  if (k.is_fwmark()) {
    w.attr<std::uint32_t>(IPVS_SVC_ATTR_FWMARK, k.fwmark);
    return;
  }
  w.attr<std::uint16_t>(IPVS_SVC_ATTR_PROTOCOL, static_cast<std::uint16_t>(k.protocol));
  put_address(w, IPVS_SVC_ATTR_ADDR, k.address);
  w.attr_be16(IPVS_SVC_ATTR_PORT, k.port);
}

void put_service(nl::Writer& w, const ServiceKey& k, const Service* full) {
  const auto nest = w.begin_nested(IPVS_CMD_ATTR_SERVICE);
  put_service_key(w, k);
  if (full) {
    w.attr_string(IPVS_SVC_ATTR_SCHED_NAME, full->scheduler);
    if (!full->pe_name.empty()) w.attr_string(IPVS_SVC_ATTR_PE_NAME, full->pe_name);
    const auto at = w.begin_attr(IPVS_SVC_ATTR_FLAGS);
    w.native<std::uint32_t>(full->flags.bits() & ~ServiceFlags::kHashed);  // flags
    w.native<std::uint32_t>(~std::uint32_t{0});                              // mask
    w.end_attr(at);
    w.attr<std::uint32_t>(IPVS_SVC_ATTR_TIMEOUT, full->timeout);
    put_netmask(w, *full);
  }
  w.end_attr(nest);
}

void put_dest(nl::Writer& w, const IpAddress& addr, std::uint16_t port, const Dest* full) {
  const auto nest = w.begin_nested(IPVS_CMD_ATTR_DEST);
  w.attr<std::uint16_t>(IPVS_DEST_ATTR_ADDR_FAMILY, af(addr.family()));
  put_address(w, IPVS_DEST_ATTR_ADDR, addr);
  w.attr_be16(IPVS_DEST_ATTR_PORT, port);
  if (full) {
    w.attr<std::uint32_t>(IPVS_DEST_ATTR_FWD_METHOD, static_cast<std::uint32_t>(full->method));
    w.attr<std::uint32_t>(IPVS_DEST_ATTR_WEIGHT, static_cast<std::uint32_t>(full->weight));
    if (full->method == ForwardMethod::tunnel) {
      w.attr<std::uint8_t>(IPVS_DEST_ATTR_TUN_TYPE, static_cast<std::uint8_t>(full->tun_type));
      w.attr_be16(IPVS_DEST_ATTR_TUN_PORT, full->tun_port);
      w.attr<std::uint16_t>(IPVS_DEST_ATTR_TUN_FLAGS, full->tun_flags);
    }
    w.attr<std::uint32_t>(IPVS_DEST_ATTR_U_THRESH, full->u_threshold);
    w.attr<std::uint32_t>(IPVS_DEST_ATTR_L_THRESH, full->l_threshold);
  }
  w.end_attr(nest);
}

genl::MessageBuilder start(nl::Writer& w, const Request& r, std::uint8_t cmd, std::uint16_t flags) {
  return genl::MessageBuilder(w, r.family, flags, r.seq, cmd, kIpvsGenlVersion);
}

void service_cmd(nl::Writer& w, const Request& r, std::uint8_t cmd, const ServiceKey& k,
                 const Service* full) {
  auto m = start(w, r, cmd, kWrite);
  put_service(w, k, full);
  m.finish();
}

void dest_cmd(nl::Writer& w, const Request& r, std::uint8_t cmd, const ServiceKey& k,
              const IpAddress& addr, std::uint16_t port, const Dest* full) {
  auto m = start(w, r, cmd, kWrite);
  put_service(w, k, nullptr);
  put_dest(w, addr, port, full);
  m.finish();
}

void bare(nl::Writer& w, const Request& r, std::uint8_t cmd, std::uint16_t flags) {
  auto m = start(w, r, cmd, flags);
  m.finish();
}

}  // namespace

void append_new_service(nl::Writer& w, const Request& r, const Service& s) {
  service_cmd(w, r, IPVS_CMD_NEW_SERVICE, s.key, &s);
}
void append_set_service(nl::Writer& w, const Request& r, const Service& s) {
  service_cmd(w, r, IPVS_CMD_SET_SERVICE, s.key, &s);
}
void append_del_service(nl::Writer& w, const Request& r, const ServiceKey& k) {
  service_cmd(w, r, IPVS_CMD_DEL_SERVICE, k, nullptr);
}
void append_new_dest(nl::Writer& w, const Request& r, const ServiceKey& k, const Dest& d) {
  dest_cmd(w, r, IPVS_CMD_NEW_DEST, k, d.address, d.port, &d);
}
void append_set_dest(nl::Writer& w, const Request& r, const ServiceKey& k, const Dest& d) {
  dest_cmd(w, r, IPVS_CMD_SET_DEST, k, d.address, d.port, &d);
}
void append_del_dest(nl::Writer& w, const Request& r, const ServiceKey& k, const DestKey& d) {
  dest_cmd(w, r, IPVS_CMD_DEL_DEST, k, d.address, d.port, nullptr);
}

void append_op(nl::Writer& w, const Request& r, const IpvsOp& op) {
  struct Visitor {
    nl::Writer& w;
    const Request& r;
    void operator()(const AddService& o) { append_new_service(w, r, o.service); }
    void operator()(const EditService& o) { append_set_service(w, r, o.service); }
    void operator()(const DelService& o) { append_del_service(w, r, o.key); }
    void operator()(const AddDest& o) { append_new_dest(w, r, o.service, o.dest); }
    void operator()(const EditDest& o) { append_set_dest(w, r, o.service, o.dest); }
    void operator()(const DelDest& o) { append_del_dest(w, r, o.service, o.dest); }
  };
  std::visit(Visitor{w, r}, op);
}

void append_new_daemon(nl::Writer& w, const Request& r, const SyncDaemon& d) {
  auto m = start(w, r, IPVS_CMD_NEW_DAEMON, kWrite);
  const auto nest = w.begin_nested(IPVS_CMD_ATTR_DAEMON);
  w.attr<std::uint32_t>(IPVS_DAEMON_ATTR_STATE, static_cast<std::uint32_t>(d.state));
  w.attr_string(IPVS_DAEMON_ATTR_MCAST_IFN, d.interface);
  w.attr<std::uint32_t>(IPVS_DAEMON_ATTR_SYNC_ID, d.syncid);
  if (d.maxlen) w.attr<std::uint16_t>(IPVS_DAEMON_ATTR_SYNC_MAXLEN, d.maxlen);
  if (d.group && d.group->is_v4())
    w.attr_bytes(IPVS_DAEMON_ATTR_MCAST_GROUP, std::as_bytes(std::span(d.group->bytes()).first(4)));
  if (d.group && d.group->is_v6())
    w.attr_bytes(IPVS_DAEMON_ATTR_MCAST_GROUP6, std::as_bytes(std::span(d.group->bytes())));
  if (d.port) w.attr<std::uint16_t>(IPVS_DAEMON_ATTR_MCAST_PORT, d.port);
  if (d.ttl) w.attr<std::uint8_t>(IPVS_DAEMON_ATTR_MCAST_TTL, d.ttl);
  w.end_attr(nest);
  m.finish();
}

void append_del_daemon(nl::Writer& w, const Request& r, SyncState state) {
  auto m = start(w, r, IPVS_CMD_DEL_DAEMON, kWrite);
  const auto nest = w.begin_nested(IPVS_CMD_ATTR_DAEMON);
  w.attr<std::uint32_t>(IPVS_DAEMON_ATTR_STATE, static_cast<std::uint32_t>(state));
  w.end_attr(nest);
  m.finish();
}

void append_set_config(nl::Writer& w, const Request& r, const Timeouts& t) {
  auto m = start(w, r, IPVS_CMD_SET_CONFIG, kWrite);
  w.attr<std::uint32_t>(IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp);
  w.attr<std::uint32_t>(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcp_fin);
  w.attr<std::uint32_t>(IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp);
  m.finish();
}

void append_zero(nl::Writer& w, const Request& r, const std::optional<ServiceKey>& k) {
  auto m = start(w, r, IPVS_CMD_ZERO, kWrite);
  if (k) put_service(w, *k, nullptr);
  m.finish();
}

void append_flush(nl::Writer& w, const Request& r) { bare(w, r, IPVS_CMD_FLUSH, kWrite); }
void append_get_services(nl::Writer& w, const Request& r) { bare(w, r, IPVS_CMD_GET_SERVICE, kDump); }
void append_get_daemons(nl::Writer& w, const Request& r) { bare(w, r, IPVS_CMD_GET_DAEMON, kDump); }
void append_get_config(nl::Writer& w, const Request& r) { bare(w, r, IPVS_CMD_GET_CONFIG, kWrite); }
void append_get_info(nl::Writer& w, const Request& r) { bare(w, r, IPVS_CMD_GET_INFO, kWrite); }

void append_get_dests(nl::Writer& w, const Request& r, const ServiceKey& k) {
  auto m = start(w, r, IPVS_CMD_GET_DEST, kDump);
  put_service(w, k, nullptr);
  m.finish();
}

std::string_view command_name(std::uint8_t cmd) {
  static constexpr std::string_view kNames[] = {
      "UNSPEC",     "NEW_SERVICE", "SET_SERVICE", "DEL_SERVICE", "GET_SERVICE", "NEW_DEST",
      "SET_DEST",   "DEL_DEST",    "GET_DEST",    "NEW_DAEMON",  "DEL_DAEMON",  "GET_DAEMON",
      "SET_CONFIG", "GET_CONFIG",  "SET_INFO",    "GET_INFO",    "ZERO",        "FLUSH"};
  return cmd < std::size(kNames) ? kNames[cmd] : "?";
}

}  // namespace vigil::ipvs::codec
