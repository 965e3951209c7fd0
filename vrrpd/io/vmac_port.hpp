// The port through which the Service creates, reuses and removes VMAC interfaces (macvlans,
// vmac.hpp). The real one is NlVmacPort (libnl-route-3); tests use an in-memory fake.
#pragma once
#include <optional>
#include <string>

#include "base/result.hpp"
#include "vrrpd/io/vmac.hpp"

namespace vigil::vrrp::io {

struct VmacSpec {
  std::string name;  // chosen with vmac_name_candidates / classify
  std::string base;  // the instance's interface, for logs and sysctls
  int base_ifindex{};
  Mac mac{};
  Family family{Family::v4};
  bool has_ipv6_vips{false};      // an IPv4 instance keeps IPv6 on the macvlan for them
  std::optional<IpAddress> link_local;  // IPv6: the address to put on it (nodad)
  bool reuse{false};              // classify() said reusable: it exists, only (re)configure it
};

struct VmacLink {
  std::string name;
  int ifindex{};
  int base_ifindex{};
  bool owned{false};  // created by vigil (now or by a crashed run): removed at stop
};

class VmacPort {
 public:
  virtual ~VmacPort() = default;
  // What has the name on the host, if anything.
  virtual std::optional<LinkFacts> find(const std::string& name) = 0;
  // Creates the macvlan (mode private, the VMAC, vigil's alias) unless spec.reuse, applies
  // the sysctls (vmac.hpp) to it and its base, gives an IPv6 one its link-local, sets it up.
  virtual Result<VmacLink, std::string> setup(const VmacSpec& spec) = 0;
  // Puts the base's sysctls back (after its last VMAC) and deletes the macvlan if owned.
  virtual Result<void, std::string> release(const VmacLink& link) = 0;
};

}  // namespace vigil::vrrp::io
