// RFC 5798 Accept_Mode false (keepalived `no_accept`, implied by `vrrp_strict`/`strict_mode`):
// a Master that is not the address owner must not accept packets addressed to its virtual
// addresses. vigil enforces it as keepalived does with nftables: one table of its own (global
// `nftables [TABLE]`, default "vigil"; `nftables_priority`, default -1;
// `nftables_counters`) with a set of the IPv4 and one of the IPv6 addresses of every
// no_accept instance, dropped at the input hook. Neighbour solicitations and advertisements to
// an IPv6 VIP pass (neighbour unreachability detection needs them); ARP is not IP and is
// never filtered.
//
// The sets hold the addresses for as long as vigil runs, whatever the instances' states: a
// Backup does not hold the addresses, so the input hook never sees packets for them there,
// and a takeover then costs no firewall transaction.
//
// filter_spec() and nft_script() are pure; NftFilter runs scripts through libnftables
// (one atomic transaction each).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "base/ip.hpp"
#include "base/result.hpp"
#include "conf/model.hpp"
#include "vrrpd/io/instance.hpp"

namespace vigil::vrrp::io {

struct FilterSpec {
  std::string table{"vigil"};
  long long priority{-1};
  bool counters{false};
  std::vector<IpAddress> v4, v6;  // sorted, unique
  bool empty() const { return v4.empty() && v6.empty(); }
};

// The addresses of every instance in no_accept mode that is not the address owner
// (priority 255 always accepts), with the table settings of global_defs.
FilterSpec filter_spec(const std::vector<InstanceConfig>& instances, const conf::GlobalDefs& global);

// The nft script that replaces vigil's table with one for `spec` (atomically: the old table,
// if any, goes in the same transaction).
std::string nft_install_script(const FilterSpec& spec);
// The nft script that removes the table (and succeeds when there is none).
std::string nft_remove_script(const std::string& table);

class NftFilter {
 public:
  virtual ~NftFilter() = default;
  // Runs an nft script as one transaction; the error is libnftables' message.
  virtual Result<void, std::string> run(const std::string& script) = 0;
  static Result<std::unique_ptr<NftFilter>, std::string> open();
};

}  // namespace vigil::vrrp::io
