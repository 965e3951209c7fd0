#include "ipvs_glue/model/from_config.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <string>

#include "conf/model.hpp"

namespace vigil::ipvs {
namespace {

using conf::VirtualServer;
using conf::VsgEntry;

Protocol protocol_of(conf::Proto p) {
  switch (p) {
    case conf::Proto::udp: return Protocol::udp;
    case conf::Proto::sctp: return Protocol::sctp;
    case conf::Proto::tcp: break;
  }
  return Protocol::tcp;
}

std::uint16_t tun_flags_of(conf::TunCsum c) {
  switch (c) {
    case conf::TunCsum::csum: return kTunFlagCsum;
    case conf::TunCsum::remcsum: return kTunFlagRemCsum;
    case conf::TunCsum::none:
    case conf::TunCsum::nocsum: break;
  }
  return 0;
}

void apply_method(Dest& d, const conf::LvsMethod& m) {
  switch (m.kind) {
    case conf::LbKind::nat: d.method = ForwardMethod::masq; return;
    case conf::LbKind::dr: d.method = ForwardMethod::route; return;
    case conf::LbKind::tun: break;
  }
  d.method = ForwardMethod::tunnel;
  d.tun_type = m.tun_type == conf::TunType::gue   ? TunnelType::gue
               : m.tun_type == conf::TunType::gre ? TunnelType::gre
                                                  : TunnelType::ipip;
  d.tun_port = m.tun_type == conf::TunType::gue ? m.tun_port : 0;
  d.tun_flags = tun_flags_of(m.tun_csum);
}

// "NAT", "DR", "TUN": sorry_server_lvs_method. Anything else: the virtual server's method.
conf::LvsMethod sorry_method(const VirtualServer& vs) {
  conf::LvsMethod m = *vs.lvs_method;
  if (!vs.sorry_server_lvs_method.is_set()) return m;
  std::string s = *vs.sorry_server_lvs_method;
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::toupper(c); });
  if (s == "NAT") m = conf::LvsMethod{conf::LbKind::nat};
  if (s == "DR") m = conf::LvsMethod{conf::LbKind::dr};
  if (s == "TUN") m = conf::LvsMethod{conf::LbKind::tun};
  return m;
}

std::int32_t clamp_weight(long long w) {
  return static_cast<std::int32_t>(std::clamp<long long>(w, 0, INT32_MAX));
}

// The destinations, with `port` standing in where a real server gives none.
std::vector<Dest> dests_of(const VirtualServer& vs, std::uint16_t port) {
  std::vector<Dest> out;
  for (const auto& rs : vs.real_servers) {
    Dest d;
    d.address = rs.address;
    d.port = rs.port.is_set() ? static_cast<std::uint16_t>(*rs.port) : port;
    apply_method(d, rs.lvs_method.is_set() ? *rs.lvs_method : *vs.lvs_method);
    d.weight = clamp_weight(rs.weight.is_set() ? *rs.weight : 1);
    if (rs.extra && rs.extra->uthreshold.is_set())
      d.u_threshold = static_cast<std::uint32_t>(*rs.extra->uthreshold);
    if (rs.extra && rs.extra->lthreshold.is_set())
      d.l_threshold = static_cast<std::uint32_t>(*rs.extra->lthreshold);
    out.push_back(d);
  }
  if (out.empty() && vs.sorry_server.is_set()) {
    Dest d;
    d.address = vs.sorry_server->address;
    d.port = vs.sorry_server->port.value_or(port);
    apply_method(d, sorry_method(vs));
    out.push_back(d);
  }
  return out;
}

// persistence_granularity: an IPv4 netmask or an IPv6 prefix length.
std::optional<std::uint8_t> netmask_of(const VirtualServer& vs, Family f) {
  if (!vs.persistence_granularity.is_set()) return std::nullopt;
  const std::string& g = *vs.persistence_granularity;
  unsigned len = 0;
  if (f == Family::v4) {
    auto a = IpAddress::parse(g);
    if (!a || !a->is_v4()) return std::nullopt;
    len = static_cast<unsigned>(std::popcount(a->v4_host_order()));
  } else {
    if (g.empty() || g.size() > 3 || !std::all_of(g.begin(), g.end(), ::isdigit)) return std::nullopt;
    len = static_cast<unsigned>(std::stoi(g));
  }
  if (len >= static_cast<unsigned>(max_prefix_length(f))) return std::nullopt;
  return static_cast<std::uint8_t>(len);
}

ServiceFlags flags_of(const VirtualServer& vs) {
  ServiceFlags f;
  f.persistent = vs.persistence_timeout.is_set();
  f.hashed = *vs.hashed;
  f.one_packet = *vs.ops;
  // As keepalived: sh-* only with sh, mh-* only with mh; flag-N always.
  const bool sh = *vs.lvs_sched == "sh", mh = *vs.lvs_sched == "mh";
  f.sched1 = *vs.flag_1 || (sh && *vs.sh_fallback) || (mh && *vs.mh_fallback);
  f.sched2 = *vs.flag_2 || (sh && *vs.sh_port) || (mh && *vs.mh_port);
  f.sched3 = *vs.flag_3;
  return f;
}

Service service_of(const VirtualServer& vs, const ServiceKey& key, std::uint16_t port) {
  Service s;
  s.key = key;
  s.scheduler = vs.lvs_sched.is_set() ? *vs.lvs_sched : "wlc";
  s.flags = flags_of(vs);
  if (vs.persistence_timeout.is_set()) s.timeout = static_cast<std::uint32_t>(*vs.persistence_timeout);
  s.netmask = netmask_of(vs, key.family);
  if (vs.persistence_engine.is_set()) s.pe_name = *vs.persistence_engine;
  s.dests = dests_of(vs, port);
  return s;
}

// The family of a fwmark service: fwmark_family, ip_family, the group's addresses, the
// first real server, else IPv4.
Family fwmark_family(const VirtualServer& vs, const conf::VirtualServerGroup* g) {
  if (vs.fwmark_family) return *vs.fwmark_family;
  if (vs.ip_family.is_set()) return *vs.ip_family == "inet6" ? Family::v6 : Family::v4;
  if (g)
    for (const auto& e : g->entries)
      if (e.kind != VsgEntry::Kind::fwmark) return e.first.family();
  if (!vs.real_servers.empty()) return vs.real_servers.front().address.family();
  return Family::v4;
}

IpAddress with_last_part(const IpAddress& a, unsigned v) {
  auto b = a.bytes();
  if (a.is_v4()) {
    b[3] = static_cast<std::uint8_t>(v);
    return IpAddress::v4((std::uint32_t{b[0]} << 24) | (std::uint32_t{b[1]} << 16) |
                         (std::uint32_t{b[2]} << 8) | b[3]);
  }
  b[14] = static_cast<std::uint8_t>(v >> 8);
  b[15] = static_cast<std::uint8_t>(v);
  return IpAddress::v6(b);
}

unsigned last_part(const IpAddress& a) {
  const auto& b = a.bytes();
  return a.is_v4() ? b[3] : (unsigned{b[14]} << 8 | b[15]);
}

void expand_group(const VirtualServer& vs, const conf::VirtualServerGroup& g, IpvsTable& out) {
  const Protocol proto = protocol_of(*vs.protocol);
  for (const auto& e : g.entries) {
    switch (e.kind) {
      case VsgEntry::Kind::fwmark:
        out.services.push_back(service_of(
            vs, ServiceKey::mark(fwmark_family(vs, &g), static_cast<std::uint32_t>(e.fwmark)), 0));
        break;
      case VsgEntry::Kind::address:
        out.services.push_back(service_of(vs, ServiceKey::inet(proto, e.first, e.port), e.port));
        break;
      case VsgEntry::Kind::range:
        for (unsigned v = last_part(e.first); v <= last_part(e.last); ++v)
          out.services.push_back(
              service_of(vs, ServiceKey::inet(proto, with_last_part(e.first, v), e.port), e.port));
        break;
    }
  }
}

void dedupe(IpvsTable& t) {
  std::set<ServiceKey> seen;
  std::erase_if(t.services, [&](const Service& s) { return !seen.insert(s.key).second; });
}

}  // namespace

IpvsTable desired_from_config(const conf::Config& config) {
  IpvsTable out;
  for (const auto& vs : config.virtual_servers) {
    switch (vs.kind) {
      case VirtualServer::Kind::address:
        out.services.push_back(service_of(
            vs, ServiceKey::inet(protocol_of(*vs.protocol), vs.address, vs.port), vs.port));
        break;
      case VirtualServer::Kind::fwmark:
        out.services.push_back(service_of(
            vs, ServiceKey::mark(fwmark_family(vs, nullptr), static_cast<std::uint32_t>(vs.fwmark)), 0));
        break;
      case VirtualServer::Kind::group:
        for (const auto& g : config.virtual_server_groups)
          if (g.name.value == vs.group) {
            expand_group(vs, g, out);
            break;
          }
        break;
    }
  }
  dedupe(out);
  return out;
}

std::set<ServiceKey> owned_keys(const IpvsTable& desired) {
  std::set<ServiceKey> keys;
  for (const auto& s : desired.services) keys.insert(s.key);
  return keys;
}

Timeouts timeouts_from_config(const conf::Config& config) {
  Timeouts t;
  const auto& lt = config.global.lvs_timeouts;
  if (!lt.is_set()) return t;
  auto secs = [](long long v) { return v > 0 ? static_cast<std::uint32_t>(v) : 0u; };
  t.tcp = secs(lt->tcp);
  t.tcp_fin = secs(lt->tcpfin);
  t.udp = secs(lt->udp);
  return t;
}

std::optional<SyncDaemon> sync_daemon_from_config(const conf::Config& config, SyncState state) {
  const auto& ls = config.global.lvs_sync_daemon;
  if (!ls.is_set()) return std::nullopt;
  SyncDaemon d;
  d.state = state;
  d.interface = ls->interface;
  // As keepalived: without "id", the syncid is the VRID of the VRRP instance it follows.
  d.syncid = 0;
  if (ls->syncid >= 0) {
    d.syncid = static_cast<std::uint32_t>(ls->syncid);
  } else {
    for (const auto& vi : config.vrrp_instances)
      if (vi.name.value == ls->instance && vi.virtual_router_id.is_set())
        d.syncid = static_cast<std::uint32_t>(*vi.virtual_router_id);
  }
  d.maxlen = ls->maxlen > 0 ? static_cast<std::uint16_t>(ls->maxlen) : 0;
  d.port = ls->port > 0 ? static_cast<std::uint16_t>(ls->port) : 0;
  d.ttl = ls->ttl > 0 ? static_cast<std::uint8_t>(ls->ttl) : 0;
  d.group = ls->group;
  return d;
}

}  // namespace vigil::ipvs
