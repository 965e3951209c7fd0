#include "vrrpd/io/vmac.hpp"

#include <algorithm>
#include <cstdio>

namespace vigil::vrrp::io {
namespace {

constexpr std::size_t kIfNameMax = 15;  // IFNAMSIZ - 1

std::optional<int> value_of(const std::vector<Sysctl>& list, SysctlKey key) {
  for (const auto& s : list)
    if (s.key == key) return s.value;
  return std::nullopt;
}

}  // namespace

Mac vmac_address(std::uint8_t vrid, Family family) {
  return {0x00, 0x00, 0x5e, 0x00, static_cast<std::uint8_t>(family == Family::v4 ? 0x01 : 0x02), vrid};
}

std::string to_string(const Mac& mac) {
  char text[18];
  std::snprintf(text, sizeof text, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
  return text;
}

std::vector<std::string> vmac_name_candidates(const std::string& configured, std::uint8_t vrid, Family family,
                                              const std::string& prefix) {
  std::vector<std::string> out;
  auto add = [&](std::string name) {
    if (!name.empty() && name.size() <= kIfNameMax && std::find(out.begin(), out.end(), name) == out.end())
      out.push_back(std::move(name));
  };
  add(configured);
  const std::string id = std::to_string(vrid);
  add(prefix + "." + id);
  // keepalived: an IPv6 instance tries vrrp6.<VRID> second, then the numbers without 6.
  if (family == Family::v6) add(prefix + "6." + id);
  for (int n = 1; n <= 9; ++n)
    if (family == Family::v4 || n != 6) add(prefix + std::to_string(n) + "." + id);
  return out;
}

NameUse classify(const std::optional<LinkFacts>& found, int base_ifindex, const Mac& mac) {
  if (!found) return NameUse::free;
  if (found->macvlan && found->private_mode && found->base_ifindex == base_ifindex && found->mac == mac)
    return NameUse::reusable;
  return NameUse::taken;
}

std::string_view to_string(SysctlKey k) {
  switch (k) {
    case SysctlKey::arp_ignore: return "arp_ignore";
    case SysctlKey::arp_filter: return "arp_filter";
    case SysctlKey::arp_announce: return "arp_announce";
    case SysctlKey::accept_local: return "accept_local";
    case SysctlKey::rp_filter: return "rp_filter";
    case SysctlKey::promote_secondaries: return "promote_secondaries";
    case SysctlKey::disable_ipv6: return "disable_ipv6";
  }
  return "?";
}

std::vector<Sysctl> vmac_sysctls(Family family, bool has_ipv6_vips) {
  if (family == Family::v6) return {};
  std::vector<Sysctl> out{{SysctlKey::arp_ignore, 1},
                          {SysctlKey::accept_local, 1},
                          {SysctlKey::rp_filter, 0},
                          {SysctlKey::promote_secondaries, 1}};
  if (!has_ipv6_vips) out.push_back({SysctlKey::disable_ipv6, 1});
  return out;
}

std::vector<Sysctl> base_sysctls(Family family) {
  if (family == Family::v6) return {};
  return {{SysctlKey::arp_ignore, 1}, {SysctlKey::arp_filter, 1}, {SysctlKey::arp_announce, 2}};
}

std::vector<Sysctl> BaseSysctls::acquire(int base, const std::vector<Sysctl>& now, const std::vector<Sysctl>& wanted) {
  auto& saved = bases_[base];
  if (saved.users++ > 0) return {};
  std::vector<Sysctl> set;
  for (const auto& w : wanted) {
    const auto current = value_of(now, w.key);
    if (current && *current == w.value) continue;
    set.push_back(w);
    if (current) saved.restore.push_back({w.key, *current});
  }
  return set;
}

std::vector<Sysctl> BaseSysctls::release(int base) {
  auto it = bases_.find(base);
  if (it == bases_.end()) return {};
  if (--it->second.users > 0) return {};
  auto out = std::move(it->second.restore);
  bases_.erase(it);
  return out;
}

IpAddress vmac_link_local(const std::optional<IpAddress>& configured,
                          const std::optional<IpAddress>& base_link_local, const Mac& base_mac) {
  if (configured && configured->is_v6()) return *configured;
  if (base_link_local) return *base_link_local;
  // RFC 4291 Appendix A: modified EUI-64 (universal/local bit flipped, ff:fe in the middle).
  std::array<std::uint8_t, 16> b{0xfe, 0x80};
  b[8] = static_cast<std::uint8_t>(base_mac[0] ^ 0x02);
  b[9] = base_mac[1];
  b[10] = base_mac[2];
  b[11] = 0xff;
  b[12] = 0xfe;
  b[13] = base_mac[3];
  b[14] = base_mac[4];
  b[15] = base_mac[5];
  return IpAddress::v6(b);
}

}  // namespace vigil::vrrp::io
