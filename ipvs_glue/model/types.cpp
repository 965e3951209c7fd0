#include "ipvs_glue/model/types.hpp"

#include <algorithm>

namespace vigil::ipvs {
namespace {

IpAddress zero_address(Family f) { return f == Family::v4 ? IpAddress::v4(0) : IpAddress::v6({}); }

std::string address_port(const IpAddress& a, std::uint16_t port) {
  const std::string host = a.is_v6() ? "[" + a.to_string() + "]" : a.to_string();
  return host + ":" + std::to_string(port);
}

template <class S>
auto find_dest(S& dests, const DestKey& k) {
  auto it = std::find_if(dests.begin(), dests.end(), [&](const Dest& d) { return d.key() == k; });
  return it == dests.end() ? nullptr : &*it;
}

template <class S>
auto find_service(S& services, const ServiceKey& k) {
  auto it = std::find_if(services.begin(), services.end(),
                         [&](const Service& s) { return s.key == k; });
  return it == services.end() ? nullptr : &*it;
}

}  // namespace

std::string protocol_name(Protocol p) {
  switch (p) {
    case Protocol::tcp: return "TCP";
    case Protocol::udp: return "UDP";
    case Protocol::sctp: return "SCTP";
  }
  return "proto " + std::to_string(static_cast<unsigned>(p));
}

ServiceKey ServiceKey::inet(Protocol protocol, const IpAddress& address, std::uint16_t port) {
  ServiceKey k;
  k.family = address.family();
  k.protocol = protocol;
  k.address = address;
  k.port = port;
  return k;
}

ServiceKey ServiceKey::mark(Family family, std::uint32_t fwmark) {
  ServiceKey k;
  k.fwmark = fwmark;
  k.family = family;
  k.address = zero_address(family);
  return k;
}

std::string ServiceKey::to_string() const {
  if (is_fwmark())
    return "FWM " + std::to_string(fwmark) + (family == Family::v6 ? " IPv6" : "");
  return protocol_name(protocol) + " " + address_port(address, port);
}

std::uint32_t ServiceFlags::bits() const {
  return (persistent ? kPersistent : 0) | (hashed ? kHashed : 0) | (one_packet ? kOnePacket : 0) |
         (sched1 ? kSched1 : 0) | (sched2 ? kSched2 : 0) | (sched3 ? kSched3 : 0);
}

ServiceFlags ServiceFlags::from_bits(std::uint32_t b) {
  ServiceFlags f;
  f.persistent = (b & kPersistent) != 0;
  f.hashed = (b & kHashed) != 0;
  f.one_packet = (b & kOnePacket) != 0;
  f.sched1 = (b & kSched1) != 0;
  f.sched2 = (b & kSched2) != 0;
  f.sched3 = (b & kSched3) != 0;
  return f;
}

std::string_view forward_name(ForwardMethod m) {
  switch (m) {
    case ForwardMethod::masq: return "Masq";
    case ForwardMethod::local: return "Local";
    case ForwardMethod::tunnel: return "Tunnel";
    case ForwardMethod::route: return "Route";
    case ForwardMethod::bypass: return "Bypass";
  }
  return "?";
}

std::string DestKey::to_string() const { return address_port(address, port); }

bool same_settings(const Dest& a, const Dest& b) {
  if (a.key() != b.key() || a.method != b.method || a.weight != b.weight ||
      a.u_threshold != b.u_threshold || a.l_threshold != b.l_threshold)
    return false;
  if (a.method != ForwardMethod::tunnel) return true;
  return a.tun_type == b.tun_type && a.tun_port == b.tun_port && a.tun_flags == b.tun_flags;
}

const Dest* Service::find(const DestKey& k) const { return find_dest(dests, k); }
Dest* Service::find(const DestKey& k) { return find_dest(dests, k); }

bool same_settings(const Service& a, const Service& b) {
  ServiceFlags fa = a.flags, fb = b.flags;
  fa.hashed = fb.hashed = false;
  return a.key == b.key && a.scheduler == b.scheduler && fa == fb && a.timeout == b.timeout &&
         a.netmask == b.netmask && a.pe_name == b.pe_name;
}

const Service* IpvsTable::find(const ServiceKey& k) const { return find_service(services, k); }
Service* IpvsTable::find(const ServiceKey& k) { return find_service(services, k); }

void IpvsTable::sort() {
  std::sort(services.begin(), services.end(),
            [](const Service& a, const Service& b) { return a.key < b.key; });
  for (auto& s : services)
    std::sort(s.dests.begin(), s.dests.end(),
              [](const Dest& a, const Dest& b) { return a.key() < b.key(); });
}

std::string_view sync_state_name(SyncState s) {
  return s == SyncState::backup ? "backup" : "master";
}

SyncDaemon kernel_view(const SyncDaemon& requested) {
  SyncDaemon d = requested;
  if (!d.group) d.group = IpAddress::v4(0xe0000051);  // 224.0.0.81
  if (!d.port) d.port = 8848;
  if (!d.ttl) d.ttl = 1;
  const unsigned headers = d.group->is_v6() ? 40 + 8 : 20 + 8;
  const bool backup = d.state == SyncState::backup;
  if (d.maxlen)
    d.maxlen = static_cast<std::uint16_t>(
        std::clamp<unsigned>(d.maxlen, backup ? 1024u : 1u, 65535u - headers));
  else if (!backup)
    d.maxlen = static_cast<std::uint16_t>(1500 - headers);
  return d;
}

bool sync_daemon_satisfies(const SyncDaemon& have, const SyncDaemon& want) {
  SyncDaemon w = kernel_view(want);
  if (!w.maxlen) w.maxlen = have.maxlen;
  return have == w;
}

std::string Info::version_string() const {
  return std::to_string((version >> 16) & 0xff) + "." + std::to_string((version >> 8) & 0xff) +
         "." + std::to_string(version & 0xff);
}

}  // namespace vigil::ipvs
