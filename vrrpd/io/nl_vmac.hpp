// VmacPort over rtnetlink (libnl-route-3): the macvlan created with RTM_NEWLINK (kind
// macvlan, mode private), IPv4 sysctls through IFLA_AF_SPEC (devconf), disable_ipv6 through
// /proc/sys (the kernel has no netlink attribute for it), IPv6 addr_gen_mode none, the
// link-local address, IFF_UP. Each call waits for the kernel's ack on a socket of its own:
// only at start, stop, and when an interface appears.
#pragma once
#include <memory>
#include <string>

#include "vrrpd/io/vmac_port.hpp"

struct nl_sock;

namespace vigil::vrrp::io {

class NlVmacPort final : public VmacPort {
 public:
  static Result<std::unique_ptr<NlVmacPort>, std::string> open();
  ~NlVmacPort() override;
  NlVmacPort(const NlVmacPort&) = delete;
  NlVmacPort& operator=(const NlVmacPort&) = delete;

  std::optional<LinkFacts> find(const std::string& name) override;
  Result<VmacLink, std::string> setup(const VmacSpec& spec) override;
  Result<void, std::string> release(const VmacLink& link) override;

  // An interface's IPv4 sysctls of `keys` as they are now (those the kernel reports; the
  // values in `keys` are ignored), and setting them. Also used for promote_secondaries on
  // the interfaces of the VIPs (daemon/vrrp_service.cpp).
  Result<std::vector<Sysctl>, std::string> read(int ifindex, const std::string& name, const std::vector<Sysctl>& keys);
  Result<void, std::string> apply(int ifindex, const std::string& name, const std::vector<Sysctl>& settings);

 private:
  explicit NlVmacPort(nl_sock* sock) : sock_(sock) {}
  Result<void, std::string> configure(const VmacSpec& spec, int ifindex);
  nl_sock* sock_;
  BaseSysctls bases_;
};

}  // namespace vigil::vrrp::io
