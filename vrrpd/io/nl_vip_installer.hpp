// VipInstaller over rtnetlink (libnl-route-3): RTM_NEWADDR / RTM_DELADDR on a NETLINK_ROUTE
// socket of its own. Each call waits for the kernel's ack on that socket: a local round trip
// of a few microseconds, taken only on state changes.
#pragma once
#include <memory>
#include <string>

#include "vrrpd/io/vip_installer.hpp"

struct nl_sock;

namespace vigil::vrrp::io {

class NlVipInstaller final : public VipInstaller {
 public:
  static Result<std::unique_ptr<NlVipInstaller>, std::string> open();
  ~NlVipInstaller() override;
  NlVipInstaller(const NlVipInstaller&) = delete;
  NlVipInstaller& operator=(const NlVipInstaller&) = delete;

  Result<void, std::string> add(const Vip& vip) override;
  Result<bool, std::string> remove(const Vip& vip) override;

 private:
  explicit NlVipInstaller(nl_sock* sock) : sock_(sock) {}
  nl_sock* sock_;
};

}  // namespace vigil::vrrp::io
