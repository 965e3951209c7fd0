#include "vrrpd/io/demux.hpp"

#include <algorithm>

namespace vigil::vrrp::io {
namespace {

constexpr int kVrrpTtl = 255;  // RFC 5798 §5.1.1.3 / §5.1.2.3

const UnicastPeer* peer_of(const Listener& l, const IpAddress& src) {
  auto it = std::find_if(l.peers.begin(), l.peers.end(),
                         [&](const UnicastPeer& p) { return p.address == src; });
  return it == l.peers.end() ? nullptr : &*it;
}

// RFC 5798 §7.1: "MUST verify that the IPvX TTL/Hop Limit is 255" - for multicast. Unicast
// adverts may cross routers; as keepalived, check them only against a peer's min/max_ttl.
bool ttl_ok(const RxPacket& p, const Listener& l) {
  if (p.dst.is_multicast()) return p.ttl == kVrrpTtl;
  const UnicastPeer* peer = peer_of(l, p.src);
  if (!peer) return true;
  if (peer->min_ttl && p.ttl < *peer->min_ttl) return false;
  if (peer->max_ttl && p.ttl > *peer->max_ttl) return false;
  return true;
}

}  // namespace

bool same_addresses(const std::vector<IpAddress>& got, const std::vector<IpAddress>& want) {
  if (got.size() != want.size()) return false;
  if (got == want) return true;  // the usual case: the same order
  auto a = got, b = want;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

void Demux::add(Id id, Listener l) {
  std::erase_if(entries_, [&](const Entry& e) { return e.id == id; });
  entries_.push_back({id, std::move(l)});
  reindex();
}

void Demux::remove(Id id) {
  std::erase_if(entries_, [&](const Entry& e) { return e.id == id; });
  reindex();
}

void Demux::reindex() {
  for (auto& v : by_vrid_) v.clear();
  primaries_.clear();
  for (std::uint32_t i = 0; i < entries_.size(); ++i) {
    const auto& l = entries_[i].listener;
    by_vrid_[l.vrid].push_back(i);
    if (std::find(primaries_.begin(), primaries_.end(), l.primary) == primaries_.end())
      primaries_.push_back(l.primary);
  }
  for (std::size_t vrid = 0; vrid < hot_.size(); ++vrid) {
    Hot h;
    if (by_vrid_[vrid].size() == 1) {
      const auto& l = entries_[by_vrid_[vrid].front()].listener;
      h.entry = by_vrid_[vrid].front();
      h.multicast_only = l.peers.empty() && !l.check_unicast_src;
      h.one_address = !l.skip_check_adv_addr && l.addresses.size() == 1;
      h.id = entries_[h.entry].id;
      h.primary = l.primary;
      h.decode = l.decode;
      if (h.one_address) h.address = l.addresses.front();
    }
    hot_[vrid] = h;
  }
}

Drop Demux::drop(Drop d) {
  std::visit([&](auto reason) { counters_.add(reason); }, d);
  return d;
}

// Instances sharing a VRID on one interface are unicast ones (conf/ refuses the rest): the
// source picks among them; otherwise the first of the VRID.
const Demux::Entry* Demux::find(std::uint8_t vrid, const IpAddress& src) const {
  const Entry* first = nullptr;
  for (const auto i : by_vrid_[vrid]) {
    const Entry& e = entries_[i];
    if (e.listener.primary.family() != src.family()) continue;
    if (peer_of(e.listener, src)) return &e;
    if (!first) first = &e;
  }
  return first;
}

std::variant<Demux::Delivery, Drop> Demux::classify(const RxPacket& p) {
  AdvertReceived in;
  auto r = classify(p, in);
  if (auto* d = std::get_if<Drop>(&r)) return *d;
  return Delivery{std::get<Id>(r), std::move(in)};
}

std::variant<Demux::Id, Drop> Demux::classify(const RxPacket& p, AdvertReceived& out) {
  if (p.ifindex != ifindex_) return drop(RxDrop::wrong_interface);
  // The VRID is byte 1 of both versions; shorter messages are the codec's to reject.
  if (p.payload.size() < kHeaderLength) return drop(DecodeError::truncated);
  for (const auto& primary : primaries_)
    if (primary == p.src) return drop(RxDrop::own_advert);
  // The usual advert: multicast, the only instance of its VRID, one address. The same
  // checks as below, on the packed copy.
  const Hot& h = hot_[std::to_integer<std::uint8_t>(p.payload[1])];
  if (h.entry != kNone && h.multicast_only && h.one_address && p.dst.is_multicast() &&
      h.primary.family() == p.src.family()) {
    if (p.ttl != kVrrpTtl) return drop(RxDrop::ttl);
    if (auto ok = decode_advert_into(p.payload, {p.src, p.dst}, h.decode, out.advert); !ok)
      return drop(ok.error());
    if (out.advert.addresses.size() != 1 || out.advert.addresses.front() != h.address)
      return drop(RxDrop::addr_list_mismatch);
    out.src = p.src;
    counters_.delivered();
    return h.id;
  }
  const Entry* e = find(std::to_integer<std::uint8_t>(p.payload[1]), p.src);
  if (!e) return drop(RxDrop::unknown_vrid);
  const Listener& l = e->listener;
  if (!ttl_ok(p, l)) return drop(RxDrop::ttl);
  if (!p.dst.is_multicast() && l.check_unicast_src && !peer_of(l, p.src))
    return drop(RxDrop::unicast_src);
  if (auto ok = decode_advert_into(p.payload, {p.src, p.dst}, l.decode, out.advert); !ok)
    return drop(ok.error());
  if (!l.skip_check_adv_addr && !same_addresses(out.advert.addresses, l.addresses))
    return drop(RxDrop::addr_list_mismatch);
  out.src = p.src;
  counters_.delivered();
  return e->id;
}

}  // namespace vigil::vrrp::io
