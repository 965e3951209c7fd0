// VMAC (`use_vmac`): an instance runs on a macvlan of its interface that carries the RFC 5798
// §7.3 virtual router MAC, so a takeover moves the MAC with the addresses and the neighbours'
// caches stay right. This is the pure part: the MAC, the interface's name, whether a link
// found on the host is one to reuse, and the sysctls it needs (keepalived's, on the macvlan
// and on its base). The kernel is reached through the VmacPort (vmac_port.hpp).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/ip.hpp"

namespace vigil::vrrp::io {

using Mac = std::array<std::uint8_t, 6>;

// RFC 5798 §7.3: 00-00-5E-00-01-{VRID} (IPv4), 00-00-5E-00-02-{VRID} (IPv6).
Mac vmac_address(std::uint8_t vrid, Family family);
std::string to_string(const Mac& mac);  // "00:00:5e:00:01:33"

// The names to try, in order: the configured one, then keepalived's "vrrp.<VRID>", then (IPv6
// first "vrrp6.<VRID>") "vrrp1.<VRID>", "vrrp2.<VRID>"...: bounded (IFNAMSIZ, 15 bytes).
// `prefix` is global_defs vmac_prefix ("vrrp" by default).
std::vector<std::string> vmac_name_candidates(const std::string& configured, std::uint8_t vrid, Family family,
                                              const std::string& prefix = "vrrp");

// What the host has under a name.
struct LinkFacts {
  int ifindex{};
  bool macvlan{false};
  bool private_mode{false};  // MACVLAN_MODE_PRIVATE
  int base_ifindex{};        // IFLA_LINK
  Mac mac{};
  std::string alias;         // IFLA_IFALIAS
};

// The alias vigil gives the macvlans it creates: one found with it at start is a crashed
// run's, vigil's to remove at stop. One without it was made by someone else and stays.
inline constexpr const char* kVmacAlias = "vigil vmac";

enum class NameUse {
  free,      // nothing has the name: create it
  reusable,  // a private macvlan on our base with our MAC: use it as it is
  taken,     // something else: try the next name
};
NameUse classify(const std::optional<LinkFacts>& found, int base_ifindex, const Mac& mac);

// The sysctls (per interface) a VMAC needs. keepalived, IPv4 instances only:
// on the macvlan arp_ignore=1 (answer ARP only for the VIPs on it), accept_local=1,
// rp_filter=0 (it has no address of its own, the adverts' sources route via the base),
// promote_secondaries=1; IPv6 disabled on it unless some VIP is IPv6 (nothing leaves with the
// VMAC as source but what VRRP sends). On the base arp_ignore=1 and arp_filter=1: the base
// must not answer ARP for the VIPs with its own MAC. vigil adds arp_announce=2 on the base
// (keepalived's NOTE_vrrp_vmac recommends arp_announce but leaves it to the operator): the
// replies from a VIP leave through the base (its connected route comes first), and an ARP
// request the base sends for them with the VIP as sender would tie the VIP to the base's MAC
// in the neighbours' caches. Restored at stop (BaseSysctls).
enum class SysctlKey { arp_ignore, arp_filter, arp_announce, accept_local, rp_filter, promote_secondaries, disable_ipv6 };
std::string_view to_string(SysctlKey k);
struct Sysctl {
  SysctlKey key;
  int value;
  friend bool operator==(const Sysctl&, const Sysctl&) = default;
};
std::vector<Sysctl> vmac_sysctls(Family family, bool has_ipv6_vips);
std::vector<Sysctl> base_sysctls(Family family);

// The base interfaces' arp_ignore / arp_filter as they were before the first VMAC on them,
// put back when the last one goes (keepalived's reset_interface_parameters).
class BaseSysctls {
 public:
  // A VMAC on `base` whose current values are `now` (the keys of base_sysctls): what to set.
  // Nothing for the second VMAC on a base, nor when the values are already right.
  std::vector<Sysctl> acquire(int base, const std::vector<Sysctl>& now, const std::vector<Sysctl>& wanted);
  // The VMAC went: the saved values to put back when it was the last one on `base`.
  std::vector<Sysctl> release(int base);

 private:
  struct Saved {
    int users{0};
    std::vector<Sysctl> restore;
  };
  std::map<int, Saved> bases_;
};

// The IPv6 link-local address the macvlan sends adverts from (it gets no automatic one:
// addr_gen_mode none): the configured source, else the base's link-local, else the EUI-64
// one of the base's MAC (keepalived's choice, so the peers see the same source as without
// VMAC).
IpAddress vmac_link_local(const std::optional<IpAddress>& configured,
                          const std::optional<IpAddress>& base_link_local, const Mac& base_mac);

// An instance's VMAC (InstanceConfig::vmac). Until the Service sets the macvlan up, the
// instance's interface and index are the base's; after, the macvlan's (unless xmit_base: the
// adverts stay on the base), and its VIPs without a `dev` of their own are on the macvlan.
struct VmacConfig {
  std::string name;  // the configured name or "vrrp.<VRID>"; after set-up, the one in use
  std::string base;  // the vrrp_instance's interface
  std::string prefix{"vrrp"};  // global_defs vmac_prefix
  int base_ifindex{};
  int ifindex{};     // 0 until set up
  Mac mac{};
  bool xmit_base{false};       // vmac_xmit_base: adverts sent and received on the base
  bool has_ipv6_vips{false};   // an IPv4 instance with IPv6 excluded VIPs keeps IPv6 on it
  std::optional<IpAddress> link_local;  // IPv6: the macvlan's address (vmac_link_local)
};

}  // namespace vigil::vrrp::io
